using System.Runtime.CompilerServices;

// The HMM page table's tests corrupt it through internal hooks to check that the invariant
// check catches the corruption.
[assembly: InternalsVisibleTo("Actors.Tests")]
