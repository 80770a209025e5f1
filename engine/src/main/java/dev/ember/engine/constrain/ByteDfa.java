package dev.ember.engine.constrain;

import java.util.Arrays;

/**
 * A deterministic automaton over bytes: built from a {@link ByteNfa} by subset construction over
 * byte equivalence classes, trimmed so that every state it keeps can still reach an accepting state
 * (a state that cannot is "dead", -1, and a token leading there is masked), then minimized (Moore's
 * partition refinement). Trimming is what makes masks sound: whatever prefix the mask allows can be
 * completed, so generation never walks into a dead end. Immutable.
 */
final class ByteDfa {
    static final int DEAD = -1;
    static final int MAX_STATES = 400_000;
    /**
     * Bound on the NFA states held by all DFA states together: the time and memory of determinizing.
     * A subset explosion ({@code .*X.{404}}, a fuzz finding) reaches it with hundreds of thousands of
     * small states: at 2,000,000 that took about a second, fuzz instrumentation several. At 500,000 a
     * pattern just inside it ({@code .*X.{545}z} with alternations, 28,725 states) still took
     * 0.13-0.15 s compiled and over 1 s under fuzz instrumentation; at 250,000 that halves. Automata
     * that grow linearly with their pattern hold one to three NFA states per DFA state (llama.cpp's
     * JSON grammar at depth 3 holds 131,017, a string of maxLength 8,000 about 100,000), so the
     * transition table below is their bound.
     */
    static final long MAX_SUBSET_ENTRIES = 250_000;
    /**
     * Bound on the transition table, DFA states × byte classes (12 MiB of ints): the work of
     * determinizing, trimming and minimizing grows with it (30-60 ns per entry once compiled, several
     * times that in a cold JVM or under fuzz instrumentation). Fuzzing found automata inside the
     * bound above that took 0.2-0.7 s (36,856 states × 133 classes, 64,006 × 125, 85,251 × 46): over
     * the 1 s per-input limit under instrumentation. This keeps llama.cpp's JSON grammar at depth 3
     * (49,826 × 58), a string of maxLength 8,000 or {@code .{6000}}, and refuses a string of maxLength
     * 20,000 (180,003 × 25) or {@code .{20000}} by name.
     */
    static final long MAX_TABLE_ENTRIES = 3L << 20;
    /**
     * Bound on the NFA states all epsilon closures visit together: a web of epsilon moves (repetitions
     * of optional parts, grammar rules repeated inside themselves) is walked again for every subset
     * that reaches it, while the bounds above count only the states with byte moves. A GBNF fuzz
     * finding visited 42 million before reaching the subset bound (0.2-0.3 s compiled, over 1 s
     * under fuzz instrumentation); llama.cpp's JSON grammar at depth 3 visits 868,122.
     */
    static final long MAX_CLOSURE_STEPS = 4_000_000;

    final int[] classOf;       // byte -> equivalence class
    final int classes;
    final int[] next;          // state * classes + class -> state or DEAD
    final boolean[] accepting;
    final int start;

    private ByteDfa(int[] classOf, int classes, int[] next, boolean[] accepting, int start) {
        this.classOf = classOf;
        this.classes = classes;
        this.next = next;
        this.accepting = accepting;
        this.start = start;
    }

    int size() { return accepting.length; }

    int step(int state, int b) {
        return next[state * classes + classOf[b & 0xff]];
    }

    /** Runs the automaton over bytes from {@code state}; DEAD as soon as it dies. */
    int walk(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state != DEAD; i++) state = step(state, bytes[i]);
        return state;
    }

    boolean matches(byte[] bytes) {
        int s = walk(start, bytes);
        return s != DEAD && accepting[s];
    }

    /** True when no byte can follow: the constraint is satisfied and complete. */
    boolean terminal(int state) {
        for (int c = 0; c < classes; c++) if (next[state * classes + c] != DEAD) return false;
        return true;
    }

    static ByteDfa of(Rx rx) {
        return determinize(ByteNfa.of(rx));
    }

    static ByteDfa determinize(ByteNfa nfa) {
        boolean[] boundary = new boolean[257];
        for (int s = 0; s < nfa.size(); s++) {
            for (int i = 0; i < nfa.edgeCount(s); i++) {
                boundary[nfa.edgeLo(s, i)] = true;
                boundary[nfa.edgeHi(s, i) + 1] = true;
            }
        }
        int[] classOf = new int[256];
        int c = -1;
        for (int b = 0; b < 256; b++) {
            if (b == 0 || boundary[b]) c++;
            classOf[b] = c;
        }
        int classes = c + 1;

        Closure closure = new Closure(nfa);
        SubsetTable subsets = new SubsetTable(classes);
        int[] table = new int[classes * 64];
        int startSize = closure.of(new int[]{nfa.start}, 1);
        subsets.intern(closure.buffer(), startSize);
        // Classes that no edge of this DFA state's NFA states tells apart have the same successor: the
        // state's own edge boundaries cut the classes into runs, and each run is computed once. With
        // many classes overall and small states (.*a.{404} over UTF-8, a fuzz finding) that is most of
        // the work, so nothing here loops over all classes per state.
        int[] runs = new int[classes + 1];          // this state's run starts, sorted; runs[count] == classes
        int[] runOf = new int[classes + 1];         // a run's first class -> its index in runs
        boolean[] isRunStart = new boolean[classes + 1];
        int[][] buckets = new int[classes][];       // per run: the NFA states its bytes lead to
        int[] bucketSize = new int[classes];
        Moves moves = new Moves();
        for (int d = 0; d < subsets.count(); d++) {
            int from = subsets.start(d), to = subsets.start(d + 1);
            int[] pool = subsets.pool();
            isRunStart[0] = isRunStart[classes] = true;
            runs[0] = 0;
            runs[1] = classes;
            int bounds = 2;
            for (int x = from; x < to; x++) {
                int s = pool[x];
                for (int i = 0; i < nfa.edgeCount(s); i++) {
                    int lo = classOf[nfa.edgeLo(s, i)], end = classOf[nfa.edgeHi(s, i)] + 1;
                    if (!isRunStart[lo]) { isRunStart[lo] = true; runs[bounds++] = lo; }
                    if (!isRunStart[end]) { isRunStart[end] = true; runs[bounds++] = end; }
                }
            }
            Arrays.sort(runs, 0, bounds);
            int runCount = bounds - 1;
            for (int r = 0; r < bounds; r++) {
                isRunStart[runs[r]] = false;
                runOf[runs[r]] = r;
            }
            Arrays.fill(bucketSize, 0, runCount, 0);
            for (int x = from; x < to; x++) {
                int s = pool[x];
                for (int i = 0; i < nfa.edgeCount(s); i++) {
                    int t = nfa.edgeTarget(s, i);
                    for (int r = runOf[classOf[nfa.edgeLo(s, i)]], end = classOf[nfa.edgeHi(s, i)]; runs[r] <= end; r++) {
                        if (buckets[r] == null) buckets[r] = new int[8];
                        else if (bucketSize[r] == buckets[r].length) buckets[r] = Arrays.copyOf(buckets[r], bucketSize[r] * 2);
                        buckets[r][bucketSize[r]++] = t;
                    }
                }
            }
            if ((d + 1) * classes > table.length) table = Arrays.copyOf(table, Math.max(table.length * 2, (d + 1) * classes));
            for (int r = 0; r < runCount; r++) {
                int target = DEAD;
                if (bucketSize[r] > 0) {
                    int size = closure.of(buckets[r], bucketSize[r]);
                    target = subsets.intern(closure.buffer(), size);
                }
                Arrays.fill(table, d * classes + runs[r], d * classes + runs[r + 1], target);
                moves.add(runs[r], target);
            }
            moves.endState();
        }
        int n = subsets.count();
        boolean[] acc = new boolean[n];
        for (int d = 0; d < n; d++) acc[d] = Arrays.binarySearch(subsets.pool(), subsets.start(d), subsets.start(d + 1), nfa.accept) >= 0;
        return minimize(trim(classOf, classes, Arrays.copyOf(table, n * classes), acc, 0, moves));
    }

    /**
     * A transition table as runs: per state, the classes cut into runs of one successor each (first
     * class, successor or DEAD), adjacent runs with the same successor merged. Trimming and acyclic
     * minimization read these rather than the states x classes table: a state has a few runs where
     * it has tens of classes, and passes over the whole table were most of the compile time of large
     * automata under fuzz instrumentation.
     */
    private static final class Moves {
        int[] start = new int[65];     // state s's runs are [start[s], start[s + 1])
        int[] lo = new int[256], to = new int[256];
        int states, count;

        void add(int firstClass, int target) {
            if (count > start[states] && to[count - 1] == target) return;   // continues the previous run
            if (count == lo.length) {
                lo = Arrays.copyOf(lo, count * 2);
                to = Arrays.copyOf(to, count * 2);
            }
            lo[count] = firstClass;
            to[count++] = target;
        }

        void endState() {
            if (states + 2 > start.length) start = Arrays.copyOf(start, start.length * 2);
            start[++states] = count;
        }

        /** The live runs into each state t, by source: {@code source[from[t] .. from[t + 1])}. */
        Incoming incoming() {
            int[] from = new int[states + 1];
            for (int r = 0; r < count; r++) if (to[r] != DEAD) from[to[r] + 1]++;
            for (int t = 0; t < states; t++) from[t + 1] += from[t];
            int[] source = new int[from[states]];
            int[] fill = Arrays.copyOf(from, states);
            for (int s = 0; s < states; s++) {
                for (int r = start[s]; r < start[s + 1]; r++) if (to[r] != DEAD) source[fill[to[r]]++] = s;
            }
            return new Incoming(from, source);
        }
    }

    private record Incoming(int[] from, int[] source) {}

    /** An automaton with its runs and the live runs into each state, between the steps of {@link #determinize}. */
    private record Built(ByteDfa dfa, Moves moves, Incoming incoming) {}

    /** Drops states that cannot reach an accepting state; fails when the start state is one of them. */
    private static Built trim(int[] classOf, int classes, int[] next, boolean[] acc, int start, Moves moves) {
        int n = acc.length;
        Incoming in = moves.incoming();
        int[] revCount = in.from(), rev = in.source();
        boolean[] live = new boolean[n];
        int[] queue = new int[n];
        int head = 0, tail = 0;
        for (int s = 0; s < n; s++) if (acc[s]) { live[s] = true; queue[tail++] = s; }
        while (head < tail) {
            int s = queue[head++];
            for (int i = revCount[s]; i < revCount[s + 1]; i++) {
                int p = rev[i];
                if (!live[p]) { live[p] = true; queue[tail++] = p; }
            }
        }
        if (!live[start]) throw new ConstraintException("the constraint matches no text at all");
        if (tail == n) return new Built(new ByteDfa(classOf, classes, next, acc, start), moves, in);   // every state lives
        int[] remap = new int[n];
        int m = 0;
        for (int s = 0; s < n; s++) remap[s] = live[s] ? m++ : DEAD;
        int[] out = new int[m * classes];
        boolean[] outAcc = new boolean[m];
        Moves kept = new Moves();
        for (int s = 0; s < n; s++) {
            if (!live[s]) continue;
            outAcc[remap[s]] = acc[s];
            for (int r = moves.start[s]; r < moves.start[s + 1]; r++) {
                int t = moves.to[r] == DEAD ? DEAD : remap[moves.to[r]];
                int end = r + 1 < moves.start[s + 1] ? moves.lo[r + 1] : classes;
                Arrays.fill(out, remap[s] * classes + moves.lo[r], remap[s] * classes + end, t);
                kept.add(moves.lo[r], t);
            }
            kept.endState();
        }
        return new Built(new ByteDfa(classOf, classes, out, outAcc, remap[start]), kept, kept.incoming());
    }

    /** Merges the states no byte string can tell apart: in one pass without cycles, else by Hopcroft's refinement. */
    private static ByteDfa minimize(Built b) {
        ByteDfa acyclic = minimizeAcyclic(b.dfa(), b.moves(), b.incoming());
        return acyclic != null ? acyclic : hopcroft(b.dfa());
    }

    /**
     * Minimization of an automaton without cycles in one pass from its ends (Revuz): taken in an
     * order where every state comes after the states it moves to, a state is equivalent to an
     * earlier one exactly when both accept alike and move, run by run, into the same blocks, so one
     * hash lookup per state finds its block. Linear in the runs, where Hopcroft pays a log factor in
     * repeated splitter passes: a fixed-length window such as {@code .{9994}} (110,000 states) took
     * most of its compile time in Hopcroft, and over 1 s under fuzz instrumentation. Null when the
     * automaton has a cycle (then Hopcroft).
     */
    private static ByteDfa minimizeAcyclic(ByteDfa d, Moves moves, Incoming in) {
        int n = d.size(), k = d.classes;
        int[] inStart = in.from(), inSource = in.source();
        int[] unplaced = new int[n];   // per state, its live runs into states not yet placed
        for (int s = 0; s < n; s++) {
            for (int r = moves.start[s]; r < moves.start[s + 1]; r++) if (moves.to[r] != DEAD) unplaced[s]++;
        }
        int[] ready = new int[n];
        int readyCount = 0, done = 0;
        for (int s = 0; s < n; s++) if (unplaced[s] == 0) ready[readyCount++] = s;
        // A block's signature: accepting (1 or 0), then (first class, successor block or -1 for DEAD)
        // per run, with runs that reach the same block merged: equal signatures, equivalent states.
        int[] blockOf = new int[n];
        int[] sigStart = new int[n + 1];
        int[] sigs = new int[Math.max(16, 2 * moves.count + n)];
        int[] sig = new int[2 * k + 1];
        int blocks = 0;
        int[] slots = new int[Integer.highestOneBit(Math.max(n, 1)) * 4];   // block + 1, or 0 for empty
        int mask = slots.length - 1;
        while (done < readyCount) {
            int s = ready[done++];
            int len = 0;
            sig[len++] = d.accepting[s] ? 1 : 0;
            for (int r = moves.start[s]; r < moves.start[s + 1]; r++) {
                int to = moves.to[r] == DEAD ? -1 : blockOf[moves.to[r]];
                if (len > 1 && sig[len - 1] == to) continue;
                sig[len++] = moves.lo[r];
                sig[len++] = to;
            }
            int h = 1;
            for (int i = 0; i < len; i++) h = 31 * h + sig[i];
            h ^= h >>> 16;
            h *= 0x85ebca6b;
            h ^= h >>> 13;
            int j = h & mask;
            int block = -1;
            for (; slots[j] != 0; j = (j + 1) & mask) {
                int b = slots[j] - 1;
                if (Arrays.equals(sigs, sigStart[b], sigStart[b + 1], sig, 0, len)) {
                    block = b;
                    break;
                }
            }
            if (block < 0) {
                block = blocks++;
                System.arraycopy(sig, 0, sigs, sigStart[block], len);
                sigStart[block + 1] = sigStart[block] + len;
                slots[j] = block + 1;
            }
            blockOf[s] = block;
            for (int p = inStart[s]; p < inStart[s + 1]; p++) {
                int from = inSource[p];
                if (--unplaced[from] == 0) ready[readyCount++] = from;
            }
        }
        if (done < n) return null;                      // some state never became ready: a cycle
        if (blocks == n) return d;
        int[] id = firstAppearance(blockOf, n, blocks);
        int[] out = new int[blocks * k];
        boolean[] acc = new boolean[blocks];
        for (int b = 0; b < blocks; b++) {
            int row = id[b] * k;
            acc[id[b]] = sigs[sigStart[b]] == 1;
            for (int i = sigStart[b] + 1; i < sigStart[b + 1]; i += 2) {
                int end = i + 2 < sigStart[b + 1] ? sigs[i + 2] : k;
                Arrays.fill(out, row + sigs[i], row + end, sigs[i + 1] < 0 ? DEAD : id[sigs[i + 1]]);
            }
        }
        return new ByteDfa(d.classOf, k, out, acc, id[blockOf[d.start]]);
    }

    /** Block ids renumbered by the first state of each, in state order, as states were numbered. */
    private static int[] firstAppearance(int[] blockOf, int n, int blocks) {
        int[] id = new int[blocks];
        Arrays.fill(id, -1);
        int count = 0;
        for (int s = 0; s < n; s++) if (id[blockOf[s]] < 0) id[blockOf[s]] = count++;
        return id;
    }

    /**
     * Hopcroft's partition refinement, O(m log n) for m transitions that do not die: merges states
     * no byte string can tell apart. DEAD is a real sink state here (index n) so that every state has
     * every move. Each splitter block splits, class by class, the blocks of the states that move into
     * it; of a split block's halves only the smaller needs to become a splitter, unless the whole
     * block still was one. A splitter is a block with all its classes (their waiting status is always
     * the same), so a splitter costs the transitions into it, not its size times the classes: with
     * 133 classes and most moves dead, (block, class) splitters made a 27,000-state automaton take
     * most of a second (a fuzz finding). Moore's round-by-round refinement, used before that, needs
     * one round per distinguishable distance: a chain such as {@code .{404}z} took seconds.
     */
    private static ByteDfa hopcroft(ByteDfa d) {
        int n = d.size(), k = d.classes, total = n + 1, sink = n;
        // Transitions into each live state, by target: (source, class) at in[inStart[t] .. inStart[t + 1]).
        // Moves into the sink are left out: its block is never a splitter (below).
        int[] inStart = new int[n + 1];
        for (int i = 0; i < n * k; i++) if (d.next[i] != DEAD) inStart[d.next[i] + 1]++;
        for (int t = 0; t < n; t++) inStart[t + 1] += inStart[t];
        int[] inSource = new int[inStart[n]], inClass = new int[inStart[n]];
        int[] fill = Arrays.copyOf(inStart, n);
        for (int i = 0; i < n * k; i++) {
            int t = d.next[i];
            if (t == DEAD) continue;
            inSource[fill[t]] = i / k;
            inClass[fill[t]++] = i % k;
        }
        // the partition: elems ordered by block, block b at [first[b], last[b]); marked states are moved to [first[b], mid[b])
        int[] elems = new int[total], loc = new int[total], blockOf = new int[total];
        int[] first = new int[total], last = new int[total], mid = new int[total];
        // Three initial blocks: accepting, the other live states, and the sink alone (trimming left every
        // other state able to reach acceptance, so nothing is equivalent to it). The sink's block is never
        // a splitter: the initial blocks need all but one on the worklist (splitting by the others implies
        // splitting by it), and it is never split.
        int blocks = 0, pos = 0;
        for (int pass = 0; pass < 3; pass++) {
            int from = pos;
            for (int s = 0; s < total; s++) {
                int kind = s == sink ? 2 : d.accepting[s] ? 0 : 1;
                if (kind == pass) {
                    elems[pos] = s;
                    loc[s] = pos++;
                    blockOf[s] = blocks;
                }
            }
            if (pos > from) {
                first[blocks] = mid[blocks] = from;
                last[blocks++] = pos;
            }
        }
        boolean[] waiting = new boolean[total];
        int[] work = new int[total];
        int workSize = 0;
        for (int b = 0; b < blocks - 1; b++) {   // the last block is the sink's
            work[workSize++] = b;
            waiting[b] = true;
        }
        int[] splitter = new int[total];
        int[] touched = new int[total];
        int[] classStart = new int[k + 1];         // a splitter's incoming sources, sorted by class
        int[] bySource = new int[16];
        while (workSize > 0) {
            int b = work[--workSize];
            waiting[b] = false;
            int size = last[b] - first[b];
            System.arraycopy(elems, first[b], splitter, 0, size);   // marking may reorder b itself
            Arrays.fill(classStart, 0);
            int incoming = 0;
            for (int e = 0; e < size; e++) {
                int t = splitter[e];
                for (int p = inStart[t]; p < inStart[t + 1]; p++) classStart[inClass[p] + 1]++;
                incoming += inStart[t + 1] - inStart[t];
            }
            if (incoming == 0) continue;
            for (int c = 0; c < k; c++) classStart[c + 1] += classStart[c];
            if (bySource.length < incoming) bySource = new int[Math.max(incoming, bySource.length * 2)];
            int[] at = Arrays.copyOf(classStart, k);
            for (int e = 0; e < size; e++) {
                int t = splitter[e];
                for (int p = inStart[t]; p < inStart[t + 1]; p++) bySource[at[inClass[p]]++] = inSource[p];
            }
            for (int c = 0; c < k; c++) {
                if (classStart[c] == classStart[c + 1]) continue;
                int touchedCount = 0;
                for (int p = classStart[c]; p < classStart[c + 1]; p++) {
                    int s = bySource[p];
                    int sb = blockOf[s];
                    if (loc[s] < mid[sb]) continue;   // already marked
                    if (mid[sb] == first[sb]) touched[touchedCount++] = sb;
                    int other = elems[mid[sb]];       // swap s to the marked front
                    elems[loc[s]] = other;
                    loc[other] = loc[s];
                    elems[mid[sb]] = s;
                    loc[s] = mid[sb]++;
                }
                for (int x = 0; x < touchedCount; x++) {
                    int sb = touched[x];
                    if (mid[sb] == last[sb]) {            // every state moved in: no split
                        mid[sb] = first[sb];
                        continue;
                    }
                    int nb = blocks++;                    // the marked part becomes a new block
                    first[nb] = mid[nb] = first[sb];
                    last[nb] = mid[sb];
                    first[sb] = mid[sb];
                    for (int e = first[nb]; e < last[nb]; e++) blockOf[elems[e]] = nb;
                    int add = waiting[sb] || last[nb] - first[nb] <= last[sb] - first[sb] ? nb : sb;
                    if (!waiting[add]) {
                        work[workSize++] = add;
                        waiting[add] = true;
                    }
                }
            }
        }
        return quotient(d, blockOf, blocks, sink);
    }

    /**
     * The automaton of Hopcroft's {@code blocks} blocks ({@code blockOf}, the sink's included),
     * numbered by first appearance in state order as states were, so that any correct minimization
     * gives the same table; the sink's block is DEAD.
     */
    private static ByteDfa quotient(ByteDfa d, int[] blockOf, int blocks, int sink) {
        int n = d.size(), k = d.classes;
        if (blocks - 1 == n) return d;
        // the sink's block is DEAD (-1): trimming left no state that cannot reach acceptance, so none shares it
        int[] id = firstAppearance(blockOf, n, blocks);
        int count = blocks - 1;
        int[] out = new int[count * k];
        boolean[] acc = new boolean[count];
        for (int s = 0; s < n; s++) {
            int to = id[blockOf[s]];
            acc[to] = d.accepting[s];
            for (int c = 0; c < k; c++) out[to * k + c] = id[blockOf[move(d, s, c, sink)]];
        }
        return new ByteDfa(d.classOf, k, out, acc, id[blockOf[d.start]]);
    }

    /** The state {@code s} moves to on class {@code c}, with DEAD (and the sink itself) as {@code sink}. */
    private static int move(ByteDfa d, int s, int c, int sink) {
        if (s == sink) return sink;
        int t = d.next[s * d.classes + c];
        return t == DEAD ? sink : t;
    }

    /**
     * The DFA states found so far, each a sorted set of NFA states, numbered in order of discovery:
     * all sets in one pool, found again by an open-addressing hash table (no object per set, which
     * matters with hundreds of thousands of states). Enforces the size bounds.
     */
    private static final class SubsetTable {
        private final int classes;
        private int[] pool = new int[1024];
        private int[] starts = new int[65];
        private int[] hashes = new int[64];
        private int[] slots = new int[128];   // id + 1, or 0 for empty
        private int count;

        SubsetTable(int classes) {
            this.classes = classes;
        }

        int count() { return count; }
        int[] pool() { return pool; }
        int start(int id) { return starts[id]; }

        /** The id of the set {@code buf[0..size)} (sorted), adding it when new. */
        int intern(int[] buf, int size) {
            int h = 1;
            for (int i = 0; i < size; i++) h = 31 * h + buf[i];
            // MurmurHash3's finalizer: sets of nearby NFA states hash to nearby values above, and linear
            // probing over those clustered (most of a 28,725-state regex's compile time was probing)
            h ^= h >>> 16;
            h *= 0x85ebca6b;
            h ^= h >>> 13;
            h *= 0xc2b2ae35;
            h ^= h >>> 16;
            int mask = slots.length - 1;
            for (int j = h & mask; ; j = (j + 1) & mask) {
                int id = slots[j] - 1;
                if (id < 0) break;
                if (hashes[id] == h && Arrays.equals(pool, starts[id], starts[id + 1], buf, 0, size)) return id;
            }
            int id = count;
            if (id >= MAX_STATES) {
                throw new ConstraintException("constraint too large: more than " + MAX_STATES
                        + " automaton states (reduce repetition bounds such as maxLength/maxItems, or grammar depth)");
            }
            if ((long) (id + 1) * classes > MAX_TABLE_ENTRIES) {
                throw new ConstraintException("constraint too large: its automaton needs more than " + MAX_TABLE_ENTRIES
                        + " transitions (" + (id + 1) + " states x " + classes + " byte classes); reduce repetition bounds"
                        + " such as maxLength/maxItems or {n,m}, or grammar depth");
            }
            long stored = (long) starts[id] + size;
            if (stored > MAX_SUBSET_ENTRIES) {
                throw new ConstraintException("constraint too large: its automaton tracks more than " + MAX_SUBSET_ENTRIES
                        + " pattern positions in all (a repetition after an open-ended one, such as .*a.{400}, grows it exponentially)");
            }
            if (stored > pool.length) pool = Arrays.copyOf(pool, (int) Math.max(stored, pool.length * 2L));
            System.arraycopy(buf, 0, pool, starts[id], size);
            if (id + 2 > starts.length) starts = Arrays.copyOf(starts, starts.length * 2);
            starts[id + 1] = (int) stored;
            if (id == hashes.length) hashes = Arrays.copyOf(hashes, id * 2);
            hashes[id] = h;
            count++;
            if (2 * count > slots.length) rehash(); else place(id, h);
            return id;
        }

        private void place(int id, int h) {
            int mask = slots.length - 1;
            int j = h & mask;
            while (slots[j] != 0) j = (j + 1) & mask;
            slots[j] = id + 1;
        }

        private void rehash() {
            slots = new int[slots.length * 2];
            for (int id = 0; id < count; id++) place(id, hashes[id]);
        }
    }

    /** Epsilon closures, as sorted state sets written into one reused buffer. */
    private static final class Closure {
        private final ByteNfa nfa;
        private final int[] mark;
        private int stamp;
        private int[] stack = new int[64];
        private int[] out = new int[64];
        private long steps;

        Closure(ByteNfa nfa) {
            this.nfa = nfa;
            this.mark = new int[nfa.size()];
        }

        /** The buffer {@link #of} writes into; valid until the next call. */
        int[] buffer() { return out; }

        /** Writes the closure of {@code seeds[0..count)} to {@link #buffer()}, sorted; returns its size. */
        int of(int[] seeds, int count) {
            stamp++;
            int sp = 0, outN = 0;
            for (int i = 0; i < count; i++) {
                int s = seeds[i];
                if (mark[s] == stamp) continue;
                mark[s] = stamp;
                if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                stack[sp++] = s;
            }
            while (sp > 0) {
                int s = stack[--sp];
                if (++steps > MAX_CLOSURE_STEPS) {
                    throw new ConstraintException("constraint too large: building its automaton walks more than " + MAX_CLOSURE_STEPS
                            + " empty moves (optional or repeated parts nested in repetitions, such as (a?b?)* inside (...)*,"
                            + " or recursive grammar rules; simplify them or reduce grammar depth)");
                }
                // states with only epsilon moves add nothing to the DFA state but their successors; keep the others
                if (nfa.edgeCount(s) > 0 || s == nfa.accept) {
                    if (outN == out.length) out = Arrays.copyOf(out, outN * 2);
                    out[outN++] = s;
                }
                for (int i = 0; i < nfa.epsCount(s); i++) {
                    int t = nfa.eps(s, i);
                    if (mark[t] == stamp) continue;
                    mark[t] = stamp;
                    if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                    stack[sp++] = t;
                }
            }
            Arrays.sort(out, 0, outN);
            return outN;
        }
    }
}
