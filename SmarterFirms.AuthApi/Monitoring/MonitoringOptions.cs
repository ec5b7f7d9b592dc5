using System.ComponentModel.DataAnnotations;

namespace SmarterFirms.AuthApi.Monitoring;

// Section "Monitoring": how often the database is polled and when its alerts fire.
public sealed class MonitoringOptions
{
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);

    // Database growth extrapolated to a day beyond this many bytes raises an alert.
    [Range(1L, long.MaxValue)]
    public long MaxDailyGrowth { get; set; } = 1L << 30;

    // A non-unique index without a scan for this long, on a table of at least UnusedIndexMinRows rows, is unused.
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan UnusedIndexAfter { get; set; } = TimeSpan.FromDays(7);

    [Range(0L, long.MaxValue)]
    public long UnusedIndexMinRows { get; set; } = 100_000;

    // The share of a connection pool in use that counts as saturated (any request waiting for a connection always does).
    [Range(0.1, 1.0)]
    public double PoolSaturation { get; set; } = 0.9;
}
