using IommuSim.Actors.Iommufd;
using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.TestKit;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// One live migration of a <see cref="MigratingVm"/> on a given test kit, with both oracles
/// watching, then the teardown checks: the session's report, the oracles' violations, and whether
/// pins and frames are back to zero once the guests are freed.
/// </summary>
internal static class LiveMigration
{
    public sealed record Outcome(
        MigrationSessionCompleted Session,
        IReadOnlyList<InvariantViolation> Violations,
        long WritesChecked,
        bool PinsReleased,
        long LiveFrames,
        long Deliveries,
        ulong TraceHash)
    {
        public MigrationCompleted Migration => Session.Migration ?? throw new InvalidOperationException($"the session failed: {Session.Errno}");
    }

    public const string Quiet = """
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        """;

    public static Outcome Run(TestKit.TestKit kit, MigratingVmOptions options, TimeSpan timeout)
    {
        var memory = new PhysicalMemory(options.GuestBytes * 2 + (16UL << 20));
        using var dirty = DirtyTrackingOracle.Attach(kit.Sys.EventStream);
        using var pins = IoasPinOracle.Attach(kit.Sys.EventStream, memory);
        MigrationSessionCompleted session;
        bool pinsReleased;
        using (var vm = MigratingVm.Create(kit.Sys, memory, options))
        {
            kit.Send(vm.Session, new RunMigration());
            session = kit.ExpectMsg<MigrationSessionCompleted>(timeout);
            pins.CheckTeardown();
            pinsReleased = vm.Source.Pages.ToArray().All(p => memory.PagePinCount(p) == 0) && memory.Counters.Pinned == 0;
        }
        var d = (kit as DeterministicTestKit)?.Dispatcher;
        return new Outcome(session, [.. dirty.Violations, .. pins.Violations], dirty.WritesChecked, pinsReleased, memory.Counters.Live,
            d?.Steps ?? 0, d?.TraceHash ?? 0);
    }
}
