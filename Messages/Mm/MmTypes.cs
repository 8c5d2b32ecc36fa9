namespace IommuSim.Messages.Mm;

/// <summary>PROT_* of mmap(2) / mprotect(2), with the kernel's values.</summary>
[Flags]
public enum Prot
{
    None = 0,
    Read = 1,
    Write = 2,
}

/// <summary>MAP_PRIVATE / MAP_SHARED of mmap(2); mappings are anonymous.</summary>
public enum MapKind
{
    Private,
    Shared,
}

/// <summary>MREMAP_* flags of mremap(2), with the kernel's values.</summary>
[Flags]
public enum MremapFlags
{
    None = 0,
    MayMove = 1,
    Fixed = 2,
    DontUnmap = 4,
}

/// <summary>
/// Why an invalidation happens (the seed's enum hmm_etype / today's enum mmu_notifier_event):
/// MUNMAP and MIGRATE remove mappings (mirrors and HMM domains unmap), WRITE_PROTECT downgrades
/// them (domains update), RELEASE is the whole mm going away (exit).
/// </summary>
public enum InvalidationEvent
{
    Munmap,
    Migrate,
    WriteProtect,
    Release,
}
