package dev.ember.engine.constrain;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;

/**
 * Byte strings a {@link ByteDfa} accepts, picked by a seeded random walk: at each state it stops
 * (when accepting) or takes a random live byte; past {@code softLimit} bytes it finishes by the
 * shortest way to an accepting state. Trimming guarantees every live state has one.
 */
final class DfaSamples {
    private DfaSamples() {}

    static byte[] sample(ByteDfa dfa, Random rnd, int softLimit) {
        int[] representative = new int[dfa.classes];
        Arrays.fill(representative, -1);
        for (int b = 255; b >= 0; b--) representative[dfa.classOf[b]] = b;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int s = dfa.start;
        while (out.size() < softLimit) {
            if (dfa.accepting[s] && (dfa.terminal(s) || rnd.nextInt(4) == 0)) return out.toByteArray();
            int[] live = new int[256];
            int n = 0;
            for (int b = 0; b < 256; b++) if (dfa.step(s, b) != ByteDfa.DEAD) live[n++] = b;
            if (n == 0) throw new AssertionError("state " + s + " is live but has no way out and does not accept");
            int b = live[rnd.nextInt(n)];
            out.write(b);
            s = dfa.step(s, b);
        }
        // shortest path to acceptance
        int[] prevState = new int[dfa.size()];
        int[] prevByte = new int[dfa.size()];
        Arrays.fill(prevState, -2);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        prevState[s] = -1;
        queue.add(s);
        while (!queue.isEmpty()) {
            int q = queue.poll();
            if (dfa.accepting[q]) {
                StringBuilder path = new StringBuilder();
                for (int x = q; prevState[x] != -1; x = prevState[x]) path.append((char) prevByte[x]);
                for (int k = path.length() - 1; k >= 0; k--) out.write(path.charAt(k));
                return out.toByteArray();
            }
            for (int c = 0; c < dfa.classes; c++) {
                int t = dfa.next[q * dfa.classes + c];
                if (t != ByteDfa.DEAD && prevState[t] == -2) {
                    prevState[t] = q;
                    prevByte[t] = representative[c];
                    queue.add(t);
                }
            }
        }
        throw new AssertionError("live state " + s + " cannot reach an accepting state");
    }
}
