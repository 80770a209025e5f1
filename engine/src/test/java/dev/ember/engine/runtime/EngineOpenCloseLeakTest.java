package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100 engines opened, used and closed one after another in one JVM leave nothing behind (issue
 * 16): heap after a full GC, direct and mapped buffers, the process's virtual size (the KV cache
 * and packed weights are calloc'd: a leaked block shows there even untouched), mappings of the
 * model file, threads and file descriptors are measured after a warm-up of 10 cycles and again
 * after the 100th. Each cycle runs a generate and a score so every pool and cache is really made.
 */
class EngineOpenCloseLeakTest {
    private static final int WARM_UP = 10;
    private static final int CYCLES = 100;
    private static final long MIB = 1 << 20;

    record Snapshot(long heapAfterGc, long directBytes, long mappedBytes, long virtualBytes, long rssBytes,
                    int modelMappings, Set<String> threads, int fds) {
        @Override
        public String toString() {
            return String.format("heap %.1f MiB, direct %d B, mapped %d B, VmSize %.1f MiB, VmRSS %.1f MiB, model mappings %d, threads %d, fds %d",
                    heapAfterGc / (double) MIB, directBytes, mappedBytes, virtualBytes / (double) MIB, rssBytes / (double) MIB,
                    modelMappings, threads.size(), fds);
        }
    }

    @Test
    void aHundredOpenCloseCyclesLeakNothing() throws Exception {
        Path model = SharedFiles.model("stories260K.gguf");
        EngineOptions options = EngineOptions.defaults().withThreads(2).withMaxSequences(8);
        Snapshot warm = null;
        for (int cycle = 1; cycle <= CYCLES; cycle++) {
            try (Engine e = Engine.open(model, options)) {
                List<Result> out = e.generate(List.of(
                        Request.ofText("a", "Once upon a time", SamplingParams.greedy(4)),
                        Request.ofText("b", "The little dog", SamplingParams.greedy(4))));
                for (Result r : out) assertTrue(r.ok(), r.error());
                assertTrue(e.score("Once upon a time there was").error() == null);
            }
            if (cycle == WARM_UP) warm = snapshot(model);
        }
        Snapshot end = snapshot(model);
        String report = "after " + WARM_UP + " cycles: " + warm + "\nafter " + CYCLES + " cycles: " + end;
        System.out.println("EngineOpenCloseLeakTest\n" + report);

        assertEquals(0, end.modelMappings(), "the model file is still mapped after close\n" + report);
        Set<String> newThreads = new TreeSet<>(end.threads());
        newThreads.removeAll(warm.threads());
        assertTrue(end.threads().size() <= warm.threads().size(), "threads grew: new " + newThreads + "\n" + report);
        assertTrue(end.fds() <= warm.fds() + 2, "file descriptors grew\n" + report);
        assertTrue(end.directBytes() <= warm.directBytes() + MIB, "direct buffers grew\n" + report);
        assertTrue(end.mappedBytes() <= warm.mappedBytes(), "mapped buffers grew\n" + report);
        // 90 cycles: a leak of even 1 MiB a cycle would pass these bounds; the engine's KV cache
        // alone is far larger than that, so a leaked engine is caught many times over.
        assertTrue(end.heapAfterGc() <= warm.heapAfterGc() + 16 * MIB, "heap after GC grew\n" + report);
        assertTrue(end.virtualBytes() <= warm.virtualBytes() + 256 * MIB, "native memory (VmSize) grew\n" + report);
        assertTrue(end.rssBytes() <= warm.rssBytes() + 64 * MIB, "resident memory grew\n" + report);
    }

    static Snapshot snapshot(Path model) throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0, mapped = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) direct = pool.getMemoryUsed();
            if (pool.getName().startsWith("mapped")) mapped += pool.getMemoryUsed();
        }
        String status = Files.readString(Path.of("/proc/self/status"));
        String modelPath = model.toRealPath().toString();
        int mappings;
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            mappings = (int) maps.filter(l -> l.endsWith(modelPath)).count();
        }
        // Engine threads end when close returns; thread names of this JVM's own pools stay.
        Set<String> threads = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(t -> t.getName() + "#" + t.threadId()).collect(Collectors.toSet());
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = (int) s.count();
        }
        return new Snapshot(heap, direct, mapped, statusKb(status, "VmSize") * 1024, statusKb(status, "VmRSS") * 1024,
                mappings, threads, fds);
    }

    static long statusKb(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key + ":")) return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
        }
        throw new IllegalStateException(key + " not in /proc/self/status");
    }
}
