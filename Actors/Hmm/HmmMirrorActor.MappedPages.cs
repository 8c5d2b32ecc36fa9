using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

// What the device page table does not hold about each mapped page, stored per leaf directory.
public sealed partial class HmmMirrorActor
{
    private readonly record struct MappedPage(int Generation, long Sequence, Iova? Iova);

    /// <summary>
    /// The <see cref="MappedPage"/> of every valid entry of the device page table, by virtual
    /// page number. A fault commits a whole leaf directory (512 pages) at a time, so the pages
    /// live in one array per directory found through a one-directory cache: a commit costs one
    /// dictionary lookup per directory instead of one insertion per page into a table that
    /// grows (and rehashes) with every page the device ever mapped. A directory's array goes
    /// when its last page is removed, so memory follows what is mapped.
    /// </summary>
    private sealed class MappedPages
    {
        private const int DirectoryShift = HmmPtGeometry.DirectoryShift;
        private const int Entries = HmmPtGeometry.DirectoryEntries;

        private sealed class Directory
        {
            public readonly MappedPage[] Pages = new MappedPage[Entries];
            public readonly ulong[] Present = new ulong[Entries / 64];
            public int Count;
        }

        private readonly Dictionary<ulong, Directory> _directories = [];
        private ulong _cachedKey;
        private Directory? _cached;

        public void Set(ulong vpn, MappedPage page)
        {
            var dir = Find(vpn >> DirectoryShift);
            if (dir == null)
            {
                dir = new Directory();
                _directories.Add(vpn >> DirectoryShift, dir);
                (_cachedKey, _cached) = (vpn >> DirectoryShift, dir);
            }
            var slot = (int)(vpn & (Entries - 1));
            ref var word = ref dir.Present[slot >> 6];
            var bit = 1UL << slot;
            if ((word & bit) == 0)
            {
                word |= bit;
                dir.Count++;
            }
            dir.Pages[slot] = page;
        }

        /// <summary>The page's record; <see cref="KeyNotFoundException"/> if the page is not mapped.</summary>
        public MappedPage Get(ulong vpn)
        {
            var slot = (int)(vpn & (Entries - 1));
            if (Find(vpn >> DirectoryShift) is not { } dir || (dir.Present[slot >> 6] & (1UL << slot)) == 0)
                throw new KeyNotFoundException($"page {AddressFormat.Hex(vpn << PageShift)} has no mapping record");
            return dir.Pages[slot];
        }

        public void Remove(ulong vpn)
        {
            var key = vpn >> DirectoryShift;
            if (Find(key) is not { } dir) return;
            var slot = (int)(vpn & (Entries - 1));
            ref var word = ref dir.Present[slot >> 6];
            var bit = 1UL << slot;
            if ((word & bit) == 0) return;
            word &= ~bit;
            dir.Pages[slot] = default;
            if (--dir.Count > 0) return;
            _directories.Remove(key);
            _cached = null;
        }

        private Directory? Find(ulong key)
        {
            if (_cached != null && _cachedKey == key) return _cached;
            if (!_directories.TryGetValue(key, out var dir)) return null;
            (_cachedKey, _cached) = (key, dir);
            return dir;
        }
    }
}
