namespace IommuSim.Hardware.Iommu;

/// <summary>
/// One slot of a <see cref="TranslationCache"/>. <see cref="Shift"/> 0 marks an invalid slot, so the tag compare also checks validity.
/// Tag = (DomainId, Pasid, Vpn, Shift); Vpn is the IOVA shifted right by the page size.
/// </summary>
internal struct TlbEntry
{
    public ulong Vpn;
    public ulong PageBase;
    public ulong Stamp;
    public uint DomainId;
    public uint Pasid;
    public byte Shift;
    public IoProt Prot;
    public bool Dirty;
}
