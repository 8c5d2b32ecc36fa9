using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommu;

/// <summary>Seed 000's directory API on the IOMMU domain, and the order of attach and detach answers.</summary>
public abstract class IommuDirectoryTests(ITestOutputHelper output, bool deterministic) : IommuKit(output, deterministic)
{
    private (IActorRef Domain, IActorRef Device) Machine()
    {
        var unit = Unit();
        var device = Device(unit, "gpu0", atcEntries: 8);
        var domain = Domain(unit);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", unit));
        return (domain, device);
    }

    private static DirectoryPage?[] Entries(params (int Index, Pfn Pfn, IommuProt Prot)[] pages)
    {
        var entries = new DirectoryPage?[512];
        foreach (var (index, pfn, prot) in pages) entries[index] = new DirectoryPage(pfn.ToPhys(), prot);
        return entries;
    }

    [Fact]
    public void An_update_maps_new_pages_and_remaps_changed_ones_before_answering()
    {
        var (domain, device) = Machine();
        var p = Pages(3, seed: 10);
        const IommuProt rw = IommuProt.Read | IommuProt.Write;
        var mapped = Call<IommuDirectoryMapped>(domain, new IommuMapDirectory(Entries((0, p[0], rw), (5, p[1], rw))));
        Assert.Equal((Errno.None, 2), (mapped.Errno, mapped.Mapped));
        var iova = mapped.IovaBase.Value;
        Assert.Equal([11UL], Read(device, iova + 5 * K4, 1).Values);

        // Page 5 moves to another frame and page 9 appears; page 0 (null here) stays.
        var updated = Call<IommuDirectoryUpdated>(domain, new IommuUpdateDirectory(mapped.IovaBase, Entries((5, p[2], IommuProt.Read), (9, p[1], rw))));
        Assert.Equal(new IommuDirectoryUpdated(Errno.None, 1), updated);
        Assert.Equal([12UL], Read(device, iova + 5 * K4, 1).Values);
        Assert.Equal(Errno.EPERM, Write(device, iova + 5 * K4, 1).Errno);
        Assert.Equal([10UL], Read(device, iova, 1).Values);
        Assert.Equal([11UL], Read(device, iova + 9 * K4, 1).Values);
        Assert.Equal(Errno.EINVAL, Call<IommuDirectoryUpdated>(domain, new IommuUpdateDirectory(new Iova(iova + K4), Entries())).Errno);
    }

    [Fact]
    public void Unmapping_slices_skips_holes_and_frees_a_directory_once_it_is_empty()
    {
        var (domain, device) = Machine();
        var p = Pages(3);
        var mapped = Call<IommuDirectoryMapped>(domain, new IommuMapDirectory(Entries((1, p[0], IommuProt.Read), (3, p[1], IommuProt.Read), (300, p[2], IommuProt.Read))));
        var iovaBase = mapped.IovaBase;

        var first = Call<IommuDirectoriesUnmapped>(domain, new IommuUnmapDirectories([new DirectorySlice(iovaBase, 0, 10)]));
        Assert.Equal([new DirectoryUnmapResult(2, false)], first.Results);
        Assert.Equal(Errno.EFAULT, Read(device, iovaBase.Value + 3 * K4, 1).Errno);
        Assert.Equal(Errno.None, Read(device, iovaBase.Value + 300 * K4, 1).Errno);
        Assert.Equal(M2, DomainStats(domain).IovaAllocated);

        var rest = Call<IommuDirectoriesUnmapped>(domain, new IommuUnmapDirectories([new DirectorySlice(iovaBase, 256, 256)]));
        Assert.Equal([new DirectoryUnmapResult(1, true)], rest.Results);
        var stats = DomainStats(domain);
        Assert.Equal((0UL, 0UL), (stats.MappedBytes, stats.IovaAllocated));
        Assert.Equal(Errno.EINVAL, Call<IommuDirectoriesUnmapped>(domain, new IommuUnmapDirectories([new DirectorySlice(iovaBase, 0, 1)])).Errno);
        Assert.Equal(Errno.EINVAL, Call<IommuDirectoryMapped>(domain, new IommuMapDirectory(new DirectoryPage?[511])).Errno);
    }

    [Fact]
    public void Attach_and_detach_answers_keep_the_order_of_the_requests()
    {
        var unit = Unit();
        Device(unit, "gpu0");
        var domain = Domain(unit);
        Send(domain, new AttachDevice("gpu0", unit.Name));
        Send(domain, new AttachDevice("gpu0", "elsewhere"));
        Send(domain, new DetachDevice("gpu0"));
        Send(domain, new DetachDevice("gpu0"));
        Assert.Equal(
            [Errno.None, Errno.EINVAL, Errno.None, Errno.EINVAL],
            Enumerable.Range(0, 4).Select(_ => ExpectMsg<Done>().Errno).ToArray());
        Assert.Equal(0, DomainStats(domain).Devices);
    }
}

public sealed class IommuDirectoryThreadPoolTests(ITestOutputHelper output) : IommuDirectoryTests(output, deterministic: false);

public sealed class IommuDirectoryDeterministicTests(ITestOutputHelper output) : IommuDirectoryTests(output, deterministic: true);
