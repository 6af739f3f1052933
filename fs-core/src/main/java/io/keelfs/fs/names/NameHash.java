package io.keelfs.fs.names;

/**
 * Where a name's probe chain starts: a 64-bit hash of its UTF-8 bytes masked to
 * {@link #SLOT_BITS} bits, so probing to hash + {@link HashedSlots#PROBES_MAX} never leaves the
 * positive longs (readdir offsets are signed off_t), and lifted past the reserved low offsets.
 *
 * <p>The default is SipHash-2-4 with a fixed key: the key is part of the on-disk format (names
 * are found again by it), so it never changes. Tests pass weak hashes to force collisions.
 *
 * <p>Thread-safety: implementations are stateless.
 */
@FunctionalInterface
public interface NameHash {
    int SLOT_BITS = 62;
    long SLOT_MASK = (1L << SLOT_BITS) - 1;

    /** The raw 64-bit hash; {@link #slot} masks it. */
    long hash(byte[] name);

    /** The first slot of {@code name}'s chain: in [offsetMin, 2^62 + offsetMin). */
    default long slot(byte[] name, long offsetMin) {
        long h = hash(name) & SLOT_MASK;
        return h < offsetMin ? h + offsetMin : h;
    }

    /** SipHash-2-4 with keelfs's fixed key (the values of Guava's {@code sipHash24}). */
    NameHash SIPHASH = name -> SipHash24.hash(0x6b65656c66730001L, 0x6e616d6568617368L, name);
}
