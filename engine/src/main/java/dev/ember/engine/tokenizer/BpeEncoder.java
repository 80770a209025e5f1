package dev.ember.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2 style byte-level BPE: the pre-tokenizer cuts text into words, each word's UTF-8 bytes start
 * as one symbol per byte, and the lowest-ranked adjacent pair is merged until no listed pair is
 * left. A heap of candidate pairs over a doubly linked symbol list keeps a word of n bytes at
 * O(n log n) (a rescanning loop would be quadratic on long runs such as whitespace).
 */
final class BpeEncoder {
    private final Vocab vocab;
    private final BpeMerges merges;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;

    BpeEncoder(Vocab vocab, BpeMerges merges, PreTokenizer preTokenizer, boolean ignoreMerges) {
        this.vocab = vocab;
        this.merges = merges;
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
    }

    void encode(String text, IntList out) {
        int[] cps = text.codePoints().toArray();
        SplitText split = new SplitText(cps);
        IntList words = preTokenizer.split(split);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Session session = new Session(Math.min(bytes.length, 256));
        int cp = 0;
        int byteStart = 0;
        for (int w = 0; w < words.size(); w++) {
            int byteEnd = byteStart;
            for (int end = cp + words.get(w); cp < end; cp++) byteEnd += utf8Length(cps[cp]);
            encodeWord(bytes, byteStart, byteEnd, session, out);
            byteStart = byteEnd;
        }
    }

    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    private void encodeWord(byte[] bytes, int from, int to, Session s, IntList out) {
        if (ignoreMerges) {
            int whole = vocab.id(ByteLevel.encode(bytes, from, to));
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int n = to - from;
        s.reset(n);
        int[] piece = s.piece;
        int[] len = s.len;
        int[] prev = s.prev;
        int[] next = s.next;
        for (int i = 0; i < n; i++) {
            piece[i] = merges.bytePiece(bytes[from + i]);
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        MergeQueue queue = s.queue;
        for (int i = 1; i < n; i++) offer(s, i - 1, i);
        while (!queue.isEmpty()) {
            int left = queue.topLeft();
            int right = queue.topRight();
            int size = queue.topSize();
            queue.pop();
            // A pair is stale once either side has merged with something else.
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != size) continue;
            piece[left] = merges.result(merges.rank(piece[left], piece[right]));
            len[left] = size;
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) offer(s, prev[left], left);
            if (next[left] >= 0) offer(s, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            int p = piece[i];
            if (merges.isToken(p)) {
                out.add(p);
            } else {
                // A piece that is not a token: llama.cpp emits the tokens of its single ASCII bytes
                // and drops the rest; kept for parity although real vocabularies never get here.
                String t = merges.extraText(p, bytes[from + i]);
                for (byte b : t.getBytes(StandardCharsets.UTF_8)) {
                    if (b >= 0) {
                        int id = vocab.id(String.valueOf((char) b));
                        if (id >= 0) out.add(id);
                    }
                }
            }
        }
    }

    private void offer(Session s, int left, int right) {
        int rank = merges.rank(s.piece[left], s.piece[right]);
        if (rank >= 0) s.queue.push(MergeQueue.key(rank, left), right, s.len[left] + s.len[right]);
    }

    /** Per-call scratch, reused across the words of one input; never shared between threads. */
    private static final class Session {
        int[] piece;
        int[] len;
        int[] prev;
        int[] next;
        final MergeQueue queue;

        Session(int capacity) {
            allocate(Math.max(16, capacity));
            queue = new MergeQueue(Math.max(16, capacity));
        }

        private void allocate(int cap) {
            piece = new int[cap];
            len = new int[cap];
            prev = new int[cap];
            next = new int[cap];
        }

        void reset(int n) {
            if (n > piece.length) allocate(Math.max(n, piece.length * 2));
            queue.clear();
        }
    }
}
