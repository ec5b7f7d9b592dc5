namespace SmarterFirms.ClioStandIn.Tests.Infrastructure;

// A clock the test moves by hand (Microsoft.Extensions.TimeProvider.Testing is not in our feed).
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
