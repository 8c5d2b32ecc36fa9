using System.Diagnostics;
using IommuSim.Actors.Hmm;
using IommuSim.Actors.Mm;
using IommuSim.Messages;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Oracle;

/// <summary>
/// The DMA safety check over many schedules of <see cref="MunmapFaultRace"/>: none may let a
/// device touch a page after the invalidation that removed it, and each injected bug must be
/// caught within the same seeds (which proves the check can fail).
/// </summary>
public sealed class MunmapFaultRaceTests(ITestOutputHelper output)
{
    private const int Seeds = 1000;

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void A_thousand_seeds_of_munmap_against_a_device_fault_never_let_a_device_touch_a_freed_page(string strategy)
    {
        var watch = Stopwatch.StartNew();
        int completed = 0, efault = 0, retried = 0;
        long deliveries = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = MunmapFaultRace.Run(seed, strategy: strategy);
            if (o.Violations.Count > 0) Assert.Fail($"seed {seed}: {o.Violations[0]}");
            Assert.Equal(0, o.UseAfterFree);
            Assert.True(o.DataCorrect, $"seed {seed}: the device read wrong values");
            Assert.True(o.ReadErrno is Errno.None or Errno.EFAULT, $"seed {seed}: {o.ReadErrno}");
            if (o.ReadErrno == Errno.None) completed++;
            else efault++;
            if (o.Retries > 0) retried++;
            deliveries += o.Deliveries;
        }
        output.WriteLine($"{strategy}: {Seeds} seeds in {watch.Elapsed.TotalSeconds:F2} s, {deliveries} deliveries: 0 violations, 0 uses after free; " +
            $"{completed} reads completed, {efault} failed with EFAULT, {retried} needed a collision retry");
        // Every outcome, and the retry path, must have been reached, or the seeds explored nothing.
        Assert.True(completed > 0 && efault > 0 && retried > 0, $"completed {completed}, efault {efault}, retried {retried}");
    }

    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void Without_the_sequence_check_the_same_seeds_find_a_device_reading_a_freed_page(string strategy)
    {
        var buggy = new MirrorOptions { CheckSequenceBeforeCommit = false };
        var found = FindViolations(seed => MunmapFaultRace.Run(seed, buggy, strategy: strategy));
        Assert.True(found.Count > 0, $"no violation in {Seeds} seeds with the sequence check turned off");
        var first = found[0];
        Assert.Contains("after the invalidation (seq", first.Violations[0].Message);
        Assert.True(first.UseAfterFree > 0);
    }

    [Fact]
    public void Freeing_pages_before_the_fences_is_found_in_the_same_seeds()
    {
        var buggy = new MmOptions { FreePagesBeforeFences = true };
        var found = FindViolations(seed => MunmapFaultRace.Run(seed, mmOptions: buggy));
        Assert.True(found.Count > 0, $"no violation in {Seeds} seeds with pages freed before the fences");
        Assert.Contains("while its invalidation was still running", found[0].Violations[0].Message);
    }

    [Fact]
    public void A_seed_replays_the_same_run()
    {
        var buggy = new MirrorOptions { CheckSequenceBeforeCommit = false };
        for (ulong seed = 1; seed <= 50; seed++)
        {
            var a = MunmapFaultRace.Run(seed, buggy);
            var b = MunmapFaultRace.Run(seed, buggy);
            Assert.Equal(a.ReadErrno, b.ReadErrno);
            Assert.Equal(a.Violations.Count, b.Violations.Count);
            Assert.Equal(a.Deliveries, b.Deliveries);
            Assert.Equal(a.TraceHash, b.TraceHash);
        }
    }

    private List<MunmapFaultRace.Outcome> FindViolations(Func<ulong, MunmapFaultRace.Outcome> run)
    {
        var found = new List<MunmapFaultRace.Outcome>();
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var o = run(seed);
            if (o.Violations.Count > 0) found.Add(o);
        }
        output.WriteLine($"{found.Count} of {Seeds} seeds violate the invariant");
        if (found.Count > 0) output.WriteLine($"first, seed {found[0].Seed}: {found[0].Violations[0]}");
        return found;
    }
}
