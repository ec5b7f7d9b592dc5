using Microsoft.Extensions.Logging.Abstractions;
using SmarterFirms.Data.Leadership;
using SmarterFirms.IntegrationTests.Infrastructure;

namespace SmarterFirms.IntegrationTests;

public sealed class LeadershipTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OnlyOneOfTwoReplicasLeadsAndTheOtherTakesOverWhenTheLeaderStops()
    {
        var key = Random.Shared.NextInt64(1, long.MaxValue);
        var leading = 0;
        var maxLeading = 0;
        var leads = new List<string>();

        AdvisoryLockLeader Replica() => new(fixture.OwnerConnectionString, key, "test", NullLogger.Instance, TimeProvider.System)
        {
            RetryInterval = TimeSpan.FromMilliseconds(200),
        };

        Func<CancellationToken, Task> Lead(string name) => async token =>
        {
            lock (leads)
            {
                leads.Add(name);
                maxLeading = Math.Max(maxLeading, ++leading);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            finally
            {
                lock (leads)
                {
                    leading--;
                }
            }
        };

        using var firstStop = new CancellationTokenSource();
        using var secondStop = new CancellationTokenSource();
        var first = Replica();
        var second = Replica();
        var firstRun = first.RunAsync(Lead("first"), firstStop.Token);
        await WaitUntilAsync(() => first.IsLeader);
        var secondRun = second.RunAsync(Lead("second"), secondStop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        Assert.False(second.IsLeader);

        await firstStop.CancelAsync();
        await firstRun;
        await WaitUntilAsync(() => second.IsLeader);

        await secondStop.CancelAsync();
        await secondRun;
        Assert.Equal(["first", "second"], leads);
        Assert.Equal(1, maxLeading);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
