// Hot paths of the auth API measured through the real stack, each beside a baseline from the same run (DESIGN §7).
//   dotnet run -c Release --project tests/SmarterFirms.Benchmarks -- <signin|access|all|load|rehearse|audit> [options]
// The dashboard's run-benchmarks (on authapi) runs this program: `all --quick --report <Reports folder>` by default.
// Progress goes to stderr, the tables to stdout.
using SmarterFirms.Benchmarks;

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(BenchmarkOptions.Usage);
    Console.WriteLine(RehearseMode.Usage);
    Console.WriteLine(AuditBenchmarkOptions.Usage);
    return 0;
}

// The audit trail's figures (issue 10): its own data set and options.
if (args is ["audit", .. var auditOptions])
{
    return await AuditMode.RunAsync(auditOptions);
}

// The rollout rehearsal (issue 13): the worker's `rehearse` on the AppHost's Postgres, its table on stdout.
if (args is ["rehearse", .. var rehearseOptions])
{
    return await RehearseMode.RunAsync(rehearseOptions);
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
    if (options.Mode is BenchmarkMode.Access or BenchmarkMode.All)
    {
        AccessDataSet.VolumeFor(options); // sizes seed-volume cannot shape fail here, before the AppHost starts
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

Report.Progress("starting the AppHost (local Postgres, migrations, API)");
await using var stack = await BenchmarkStack.StartAsync(options);
if (!stack.Cpu.IsAvailable)
{
    Report.Progress("the API's or Postgres's process id is unknown: the cpu ms/op columns stay empty");
}

if (options.Mode is BenchmarkMode.Load)
{
    await LoadMode.RunAsync(stack, options);
    Report.Progress("stopping the AppHost");
    return 0;
}

var report = new Report();
if (options.Mode is BenchmarkMode.SignIn or BenchmarkMode.All)
{
    await SignInBenchmark.RunAsync(stack, options, report);
}

if (options.Mode is BenchmarkMode.Access or BenchmarkMode.All)
{
    await AccessBenchmark.RunAsync(stack, options, report);
}

Console.WriteLine();
Console.WriteLine(report.Render(options));
if (options.ReportDirectory is { } reports)
{
    Report.Progress($"report written to {await report.WriteMarkdownAsync(options, reports)}");
}

Report.Progress("stopping the AppHost");
return 0;
