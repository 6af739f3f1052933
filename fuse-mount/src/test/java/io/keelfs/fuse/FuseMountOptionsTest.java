package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What -o lists keelfs consumes, drops and passes to libfuse, and the defaults it adds. */
class FuseMountOptionsTest {
    @Test
    void consumesItsOwnPassesTheRestAndDropsMount8Options() {
        MountOptions o = MountOptions.parse(List.of(
                "fsname=/img,dev,suid,allow_other,default_permissions,ro",
                "cache_size=2G,debug_log=/tmp/k.log,defaults,noauto,x-systemd.automount,"
                        + "relatime,lazytime,nonempty"));
        assertTrue(o.readOnly());
        assertEquals(2L << 30, o.cacheSizeBytes());
        assertEquals(Path.of("/tmp/k.log"), o.debugLog());
        assertTrue(o.nonempty());
        assertEquals("/img", o.fsname());
        assertEquals(List.of("fsname=/img", "dev", "suid", "allow_other",
                "default_permissions", "ro", "nonempty"), o.libfuseOptions());
    }

    @Test
    void libfuseArgsAddDefaultsBeforeTheUsersOptions() {
        List<String> args = MountOptions.parse(List.of("max_write=65536"))
                .libfuseArgs(Path.of("/images/a,b.img"));
        assertEquals("-o", args.get(0));
        String list = args.get(1);
        assertTrue(list.startsWith("fsname=/images/a\\,b.img,subtype=keelfs,"
                + "default_permissions,use_ino,atomic_o_trunc,attr_timeout=0,"), list);
        assertTrue(list.endsWith(",max_write=65536"), list);
        assertTrue(list.contains("big_writes"));
    }

    @Test
    void givenFsnameAndSubtypeAreNotDuplicated() {
        String list = MountOptions.parse(List.of("fsname=mine,subtype=other"))
                .libfuseArgs(Path.of("/x")).get(1);
        assertFalse(list.contains("fsname=/x"), list);
        assertFalse(list.contains("subtype=keelfs"), list);
    }

    @Test
    void escapedCommasStayInOneOption() {
        assertEquals(List.of("fsname=a\\,b", "ro"), MountOptions.split("fsname=a\\,b,,ro"));
    }

    @Test
    void badValuesNameTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse(List.of("cache_size=lots")));
        assertTrue(e.getMessage().contains("cache_size=lots"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse(List.of("debug_log=")));
        assertNull(MountOptions.defaults().debugLog());
        for (String bad : List.of("threads=0", "threads=-1", "threads=many",
                "threads=" + (FuseRequestLoop.THREADS_MAX + 1))) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of(bad)), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void threadsIsConsumedAndDefaultsToTwoPerCoreAtLeastFour() {
        MountOptions o = MountOptions.parse(List.of("threads=3,ro"));
        assertEquals(3, o.threadsOrDefault());
        assertEquals(List.of("ro"), o.libfuseOptions());
        assertEquals(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                MountOptions.defaults().threadsOrDefault());
    }

    @Test
    void dirAttrTimeoutIsConsumedInSecondsAndDefaultsToOne() {
        MountOptions o = MountOptions.parse(List.of("dir_attr_timeout=0.5,ro"));
        assertEquals(500_000_000L, o.dirAttrValidNs());
        assertEquals(List.of("ro"), o.libfuseOptions());
        assertEquals(0, MountOptions.parse(List.of("dir_attr_timeout=0")).dirAttrValidNs());
        assertEquals(1_000_000_000L, MountOptions.defaults().dirAttrValidNs());
        assertEquals(1_000_000_000L, MountOptions.parse(List.of("ro")).dirAttrValidNs());
        for (String bad : List.of("dir_attr_timeout=-1", "dir_attr_timeout=soon",
                "dir_attr_timeout=NaN", "dir_attr_timeout=86401", "dir_attr_timeout=")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of(bad)), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }
}
