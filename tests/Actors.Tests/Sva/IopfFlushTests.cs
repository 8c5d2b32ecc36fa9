using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>
/// remove_dev_pasid's flush, step by step: a test probe plays the SVA domain (the fault handler)
/// in front of a real unit and device, so it can hold a fault group while the PASID is removed.
/// The removal completes only after the group was answered, and a response that comes after it
/// never reaches the device; the injected bug that skips the flush is caught by the oracle.
/// </summary>
public abstract class IopfFlushTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    private static readonly Pasid Pasid1 = new(1);
    private static readonly VirtAddr Va = new(0x10_0000_0000UL);

    private (IommuUnitHandle Unit, IActorRef Device, TestProbe Domain, IopfResponseOracle Oracle) Setup(IopfOptions? iopf = null)
    {
        var memory = new PhysicalMemory(16UL << 20);
        var unit = IommuUnitActor.Create(Sys, new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd) { Iopf = iopf ?? IopfOptions.Default }, memory);
        var device = Sys.ActorOf(DeviceActor.Props(new DeviceOptions("dev"), unit, memory), "dev");
        Assert.Equal(Errno.None, Call<DeviceStats>(device, new GetDeviceStats()).Errno);
        var oracle = IopfResponseOracle.Attach(Sys.EventStream);
        var domain = CreateTestProbe("domain");
        domain.Send(unit.Ref, new UnitSetDevPasid("dev", Pasid1, domain.Ref, CreateTestProbe("mm").Ref));
        Assert.Equal(Errno.None, domain.ExpectMsg<UnitDevPasidSet>().Errno);
        return (unit, device, domain, oracle);
    }

    /// <summary>The device reads one page the (probe) domain's walk says is not present; returns the group the unit reported.</summary>
    private IopfGroup FaultOnce(IActorRef device, TestProbe domain)
    {
        Send(device, new DmaReadPasid(Pasid1, Va, 1));
        var walk = domain.ExpectMsg<TranslateRange>();
        Assert.Equal(new Iova(Va.Value), walk.Iova);
        domain.Reply(new SvaWalked(Errno.EFAULT, 0, Va, 0, [new Translation(Errno.EFAULT, default, 4096, IommuProt.None, 4)], [0]));
        var group = domain.ExpectMsg<IopfGroup>();
        Assert.Equal(("dev", Pasid1, new IopfFault(Va, false)), (group.DeviceName, group.Pasid, Assert.Single(group.Faults)));
        return group;
    }

    [Fact]
    public void Removing_a_pasid_waits_for_the_handler_to_answer_its_groups_and_drops_later_responses()
    {
        var (unit, device, domain, oracle) = Setup();
        using var _ = oracle;
        var group = FaultOnce(device, domain);

        domain.Send(unit.Ref, new UnitRemoveDevPasid("dev", Pasid1, domain.Ref));
        domain.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        domain.Send(unit.Ref, new IopfGroupResponse("dev", Pasid1, group.GroupId, PageResponseCode.Invalid));
        Assert.Equal(Errno.None, domain.ExpectMsg<UnitDevPasidRemoved>().Errno);
        var done = ExpectMsg<SvaDmaCompleted>();
        Assert.Equal((Errno.EFAULT, 0, 1), (done.Errno, done.Pages, done.PageRequests));

        // iommu_page_response: no pending request, no response.
        domain.Send(unit.Ref, new IopfGroupResponse("dev", Pasid1, group.GroupId, PageResponseCode.Success));
        var iopf = Call<UnitIopfStats>(unit.Ref, new GetUnitIopfStats());
        Assert.Equal((0, 1L, 0), (iopf.PasidEntries, iopf.PageResponses, iopf.PendingFaults));
        Assert.Equal(0L, Call<DevicePriStats>(device, new GetDevicePriStats()).StrayResponses);
        oracle.CheckTeardown();
        Assert.Empty(oracle.Violations);
        Assert.Equal(1, oracle.Responses);
    }

    [Fact]
    public void Without_the_flush_the_pasid_is_removed_with_a_group_pending_and_its_response_comes_after_the_unbind()
    {
        var (unit, device, domain, oracle) = Setup(new IopfOptions { SkipFlushOnDetach = true });
        using var _ = oracle;
        var group = FaultOnce(device, domain);

        domain.Send(unit.Ref, new UnitRemoveDevPasid("dev", Pasid1, domain.Ref));
        Assert.Equal(Errno.None, domain.ExpectMsg<UnitDevPasidRemoved>().Errno);
        domain.Send(unit.Ref, new IopfGroupResponse("dev", Pasid1, group.GroupId, PageResponseCode.Success));
        // The device got a SUCCESS for a PASID that no longer exists, retried, and faulted for good.
        Assert.Equal(Errno.EFAULT, ExpectMsg<SvaDmaCompleted>().Errno);
        var violations = oracle.Violations;
        Assert.Equal(2, violations.Count);
        Assert.Contains("unanswered (fault queue not flushed)", violations[0].Message);
        Assert.Contains("after the PASID was unbound", violations[1].Message);
        Assert.All(violations, v => Assert.Equal("no-iopf-response-after-unbind", v.Invariant));
    }
}

public sealed class IopfFlushThreadPoolTests(ITestOutputHelper output) : IopfFlushTests(output, deterministic: false);

public sealed class IopfFlushDeterministicTests(ITestOutputHelper output) : IopfFlushTests(output, deterministic: true);
