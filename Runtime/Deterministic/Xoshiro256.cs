namespace IommuSim.Runtime.Deterministic;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. Implemented here rather than
/// using System.Random so that a seed means the same schedule on every .NET version forever.
/// </summary>
public sealed class Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 1) return 0;
        var b = (ulong)bound;
        while (true)
        {
            var m = Math.BigMul(NextUInt64(), b, out var low);
            if (low >= (ulong)(-(long)b) % b) return (int)m;
        }
    }

    /// <summary>Uniform in [min, max] inclusive.</summary>
    public long NextLong(long min, long max)
    {
        if (max <= min) return min;
        var span = (ulong)(max - min) + 1;
        return span == 0 ? (long)NextUInt64() : min + (long)(NextUInt64() % span);
    }
}
