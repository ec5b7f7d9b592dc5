using SmarterFirms.ClioStandIn;

ClioStandInApp.Build(args).Run();
