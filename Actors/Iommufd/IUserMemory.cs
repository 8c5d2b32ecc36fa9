using IommuSim.Messages;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// The memory of the process that owns an IOAS (iommufd_ctx->mm), as pin_user_pages sees it: the
/// frames behind a user address range. Implementations must be safe to call from the IOAS's
/// thread while others read the frames' contents (they hand out pfns; the frames themselves live
/// in the thread-safe PhysicalMemory).
/// </summary>
public interface IUserMemory
{
    /// <summary>
    /// The frames backing every page that [<paramref name="start"/>, + <paramref name="length"/>)
    /// touches, in order; EFAULT when any of them is not mapped (GUP on an unmapped address).
    /// </summary>
    Errno GetPages(VirtAddr start, ulong length, out Pfn[] pages);
}
