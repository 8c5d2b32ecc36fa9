using System.Runtime.CompilerServices;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Deeply nested input must fail with a <see cref="ConfigException"/>, never overflow the stack (which
/// cannot be caught). Recursive steps call <see cref="EnsureStack"/>.
/// </summary>
internal static class StackGuard
{
    public static void EnsureStack()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ConfigException("configuration nests too deeply to process");
        }
    }
}
