namespace IommuSim.Messages;

/// <summary>
/// Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h and the kernel-internal
/// include/linux/errno.h). Replies carry the positive value; a kernel function returning
/// <c>-EINVAL</c> is modelled as a reply with <see cref="EINVAL"/>. <see cref="None"/> is success.
/// </summary>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    EINVAL = 22,
    ENOSPC = 28,
    ERANGE = 34,
    ENOSYS = 38,
    EOVERFLOW = 75,
    EOPNOTSUPP = 95,
    EADDRINUSE = 98,
    ETIMEDOUT = 110,
    EHWPOISON = 133,
    /// <summary>Kernel-internal (include/linux/errno.h), never seen by user space.</summary>
    ENOTSUPP = 524,
}

public static class ErrnoExtensions
{
    /// <summary>The strerror(3) text, for messages such as "EPERM (Operation not permitted)".</summary>
    public static string Describe(this Errno errno) => errno switch
    {
        Errno.None => "success",
        Errno.EPERM => "EPERM (Operation not permitted)",
        Errno.ENOENT => "ENOENT (No such file or directory)",
        Errno.ESRCH => "ESRCH (No such process)",
        Errno.EINTR => "EINTR (Interrupted system call)",
        Errno.EIO => "EIO (Input/output error)",
        Errno.ENXIO => "ENXIO (No such device or address)",
        Errno.E2BIG => "E2BIG (Argument list too long)",
        Errno.EBADF => "EBADF (Bad file descriptor)",
        Errno.EAGAIN => "EAGAIN (Resource temporarily unavailable)",
        Errno.ENOMEM => "ENOMEM (Cannot allocate memory)",
        Errno.EACCES => "EACCES (Permission denied)",
        Errno.EFAULT => "EFAULT (Bad address)",
        Errno.EBUSY => "EBUSY (Device or resource busy)",
        Errno.EEXIST => "EEXIST (File exists)",
        Errno.ENODEV => "ENODEV (No such device)",
        Errno.EINVAL => "EINVAL (Invalid argument)",
        Errno.ENOSPC => "ENOSPC (No space left on device)",
        Errno.ERANGE => "ERANGE (Numerical result out of range)",
        Errno.ENOSYS => "ENOSYS (Function not implemented)",
        Errno.EOVERFLOW => "EOVERFLOW (Value too large for defined data type)",
        Errno.EOPNOTSUPP => "EOPNOTSUPP (Operation not supported)",
        Errno.EADDRINUSE => "EADDRINUSE (Address already in use)",
        Errno.ETIMEDOUT => "ETIMEDOUT (Connection timed out)",
        Errno.EHWPOISON => "EHWPOISON (Memory page has hardware error)",
        Errno.ENOTSUPP => "ENOTSUPP (Operation is not supported)",
        _ => $"errno {(int)errno}",
    };

    /// <summary>Parses "EINVAL", "-EINVAL" or "22" (as scenario files may write it).</summary>
    public static bool TryParse(string text, out Errno errno)
    {
        var t = text.Trim();
        if (t.StartsWith('-')) t = t[1..];
        if (int.TryParse(t, out var n) && Enum.IsDefined(typeof(Errno), n))
        {
            errno = (Errno)n;
            return true;
        }
        return Enum.TryParse(t, ignoreCase: false, out errno) && Enum.IsDefined(errno) && !int.TryParse(t, out _);
    }
}
