package dev.ember.engine.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Replays a fuzz target's corpus without Jazzer, to find what makes it slow: each input's time, the
 * slowest inputs, and executions per second over all rounds. Run it under a profiler
 * ({@code -XX:StartFlightRecording}) to see where the time goes. Findings (exceptions, assertion
 * errors) are counted and the first few printed; they do not stop the replay.
 *
 * <pre>java -cp ... dev.ember.engine.testing.FuzzReplay dev.ember.engine.constrain.RegexFuzzTest compile ROUNDS DIR...</pre>
 */
public final class FuzzReplay {
    private FuzzReplay() {}

    public static void main(String[] args) throws Exception {
        Class<?> target = Class.forName(args[0]);
        Method m = target.getDeclaredMethod(args[1], byte[].class);
        m.setAccessible(true);
        var ctor = target.getDeclaredConstructor();
        ctor.setAccessible(true);
        Object instance = ctor.newInstance();
        int rounds = Integer.parseInt(args[2]);
        List<Path> files = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            Path dir = Path.of(args[i]);
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        }
        List<byte[]> inputs = new ArrayList<>();
        for (Path f : files) inputs.add(Files.readAllBytes(f));
        long[] worst = new long[inputs.size()];
        int failures = 0;
        long t0 = System.nanoTime();
        long runs = 0;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < inputs.size(); i++) {
                long s = System.nanoTime();
                try {
                    m.invoke(instance, (Object) inputs.get(i));
                } catch (InvocationTargetException e) {
                    if (failures++ < 5) System.out.println("finding on " + files.get(i) + ": " + e.getCause());
                }
                long dt = System.nanoTime() - s;
                if (r == rounds - 1) worst[i] = dt;
                runs++;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%d inputs x %d rounds: %d runs in %.2f s = %.0f exec/s, %d findings%n", inputs.size(), rounds, runs, secs, runs / secs, failures);
        Integer[] order = new Integer[inputs.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.comparingLong(i -> -worst[i]));
        long total = 0;
        for (long w : worst) total += w;
        System.out.printf("last round: %.1f ms in all%n", total / 1e6);
        for (int k = 0; k < Math.min(15, order.length); k++) {
            int i = order[k];
            System.out.printf("%8.2f ms %6d B %s%n", worst[i] / 1e6, inputs.get(i).length, files.get(i).getFileName());
        }
    }
}
