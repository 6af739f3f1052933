package io.keelfs.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap in use after full collections: what stays reachable, not what the collector has yet to
 * free. Stateless.
 */
final class HeapUsage {
    /** Collections per measurement: the second and third catch what the first only queued. */
    private static final int GC_RUNS = 3;

    private HeapUsage() {}

    static long usedAfterGcBytes() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < GC_RUNS; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** The heap's upper bound (-Xmx), or -1 if the JVM has none. */
    static long maxBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
    }
}
