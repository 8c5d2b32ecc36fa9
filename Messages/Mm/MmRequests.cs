using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Messages.Mm;

// Requests to an MmActor (struct mm_struct + struct hmm). Each is answered with one reply
// (Errno.None on success); a failed request changes nothing.

/// <summary>mmap(2) of anonymous memory; <paramref name="Fixed"/> is MAP_FIXED. Reply: <see cref="MmapReply"/>.</summary>
public sealed record Mmap(ulong Length, Prot Prot, MapKind Kind = MapKind.Private, VirtAddr? Fixed = null);

public sealed record MmapReply(Errno Errno, VirtAddr Address) : IReply;

/// <summary>munmap(2). Reply: <see cref="Done"/> (after every mirror, HMM domain and SVA domain fenced).</summary>
public sealed record Munmap(VirtAddr Address, ulong Length);

/// <summary>mprotect(2); removing write is a WRITE_PROTECT invalidation. Reply: <see cref="Done"/>.</summary>
public sealed record Mprotect(VirtAddr Address, ulong Length, Prot Prot);

/// <summary>mremap(2). Reply: <see cref="MmapReply"/> with the new address.</summary>
public sealed record Mremap(VirtAddr OldAddress, ulong OldLength, ulong NewLength, MremapFlags Flags, VirtAddr? NewAddress = null);

/// <summary>fork(2): a child mm sharing every private page copy-on-write. Reply: <see cref="ForkReply"/>.</summary>
public sealed record Fork(string ChildName);

public sealed record ForkReply(Errno Errno, IActorRef? Child) : IReply;

/// <summary>exit(2): RELEASE to every mirror and domain, every page put. Reply: <see cref="Done"/>.</summary>
public sealed record Exit;

/// <summary>A CPU load of the 64-bit value of the page holding <paramref name="Address"/> (first touch faults it in). Reply: <see cref="CpuReadReply"/>.</summary>
public sealed record CpuRead(VirtAddr Address);

public sealed record CpuReadReply(Errno Errno, ulong Value) : IReply;

/// <summary>A CPU store (a write to a copy-on-write page copies it first). Reply: <see cref="Done"/>.</summary>
public sealed record CpuWrite(VirtAddr Address, ulong Value);

/// <summary>Asks for the mm's state for checks and reports. Reply: <see cref="MmStats"/>.</summary>
public sealed record GetMmStats;

public sealed record MmStats(
    Errno Errno,
    long Sequence,
    int Vmas,
    long ResidentPages,
    int Mirrors,
    int HmmDomains,
    long Invalidations,
    long DeviceFaults) : IReply;
