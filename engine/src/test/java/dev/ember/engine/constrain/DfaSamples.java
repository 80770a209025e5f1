package dev.ember.engine.constrain;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * Byte strings a {@link ByteDfa} accepts, picked by a seeded random walk: at each state it stops
 * (when accepting) or takes a random live byte; past {@code softLimit} bytes it finishes by a
 * shortest way to an accepting state. Trimming guarantees every live state has one.
 *
 * <p>Each state's distance to acceptance is worked out once per automaton, by one backward pass:
 * a breadth-first search per sample from where the walk stopped visited all of a 110,000-state
 * window such as {@code .{9994}} four times, which under fuzz instrumentation cost as much as
 * compiling it.
 */
final class DfaSamples {
    private final ByteDfa dfa;
    private final int[] representative;   // class -> its smallest byte
    private final int[] distance;         // state -> fewest bytes to an accepting state

    DfaSamples(ByteDfa dfa) {
        this.dfa = dfa;
        int n = dfa.size(), k = dfa.classes;
        representative = new int[k];
        for (int b = 255; b >= 0; b--) representative[dfa.classOf[b]] = b;
        int[] inStart = new int[n + 1];
        for (int t : dfa.next) if (t != ByteDfa.DEAD) inStart[t + 1]++;
        for (int s = 0; s < n; s++) inStart[s + 1] += inStart[s];
        int[] in = new int[inStart[n]];
        int[] fill = Arrays.copyOf(inStart, n);
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < k; c++) {
                int t = dfa.next[s * k + c];
                if (t != ByteDfa.DEAD) in[fill[t]++] = s;
            }
        }
        distance = new int[n];
        Arrays.fill(distance, -1);
        int[] queue = new int[n];
        int head = 0, tail = 0;
        for (int s = 0; s < n; s++) {
            if (dfa.accepting[s]) {
                distance[s] = 0;
                queue[tail++] = s;
            }
        }
        while (head < tail) {
            int t = queue[head++];
            for (int i = inStart[t]; i < inStart[t + 1]; i++) {
                int s = in[i];
                if (distance[s] < 0) {
                    distance[s] = distance[t] + 1;
                    queue[tail++] = s;
                }
            }
        }
    }

    static byte[] sample(ByteDfa dfa, Random rnd, int softLimit) {
        return new DfaSamples(dfa).sample(rnd, softLimit);
    }

    byte[] sample(Random rnd, int softLimit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int s = dfa.start;
        int[] live = new int[256];
        while (out.size() < softLimit) {
            if (dfa.accepting[s] && (dfa.terminal(s) || rnd.nextInt(4) == 0)) return out.toByteArray();
            int n = 0;
            for (int b = 0; b < 256; b++) if (dfa.step(s, b) != ByteDfa.DEAD) live[n++] = b;
            if (n == 0) throw new AssertionError("state " + s + " is live but has no way out and does not accept");
            int b = live[rnd.nextInt(n)];
            out.write(b);
            s = dfa.step(s, b);
        }
        while (!dfa.accepting[s]) {   // a shortest way to acceptance
            if (distance[s] < 0) throw new AssertionError("live state " + s + " cannot reach an accepting state");
            int next = -1;
            for (int c = 0; c < dfa.classes && next < 0; c++) {
                int t = dfa.next[s * dfa.classes + c];
                if (t != ByteDfa.DEAD && distance[t] == distance[s] - 1) {
                    next = t;
                    out.write(representative[c]);
                }
            }
            s = next;
        }
        return out.toByteArray();
    }
}
