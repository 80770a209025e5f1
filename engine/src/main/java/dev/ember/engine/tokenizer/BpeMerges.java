package dev.ember.engine.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The merge table of a byte-level BPE vocabulary, keyed by piece ids instead of strings so the
 * merge loop never builds a string. A "piece" is any string the merge loop can hold in a symbol:
 * every vocab token, plus the rare merge operand or result that is not itself a token (those get
 * ids from vocab size upward and fall back to per-byte output if they survive to the end).
 */
final class BpeMerges {
    private final int vocabSize;
    private final LongIntMap pairToRank;
    private final int[] rankToResult;
    private final List<String> extraPieces = new ArrayList<>();
    /** The piece of each raw byte (its byte-level character), or -1. */
    private final int[] bytePiece = new int[256];

    BpeMerges(Vocab vocab, String[] merges) {
        this.vocabSize = vocab.size();
        Map<String, Integer> extraIds = new HashMap<>();
        pairToRank = new LongIntMap(merges.length);
        rankToResult = new int[merges.length];
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            // The separator is the first space after position 0: a merge may start with a space.
            int sp = m.indexOf(' ', 1);
            if (sp < 0) {
                rankToResult[rank] = -1;
                continue;
            }
            // Range lookups: no substring is built unless a piece is missing from the vocab.
            int l = vocab.id(m, 0, sp);
            if (l < 0) l = extraId(extraIds, m.substring(0, sp));
            int r = vocab.id(m, sp + 1, m.length());
            if (r < 0) r = extraId(extraIds, m.substring(sp + 1));
            // The first listing of a pair is its rank, as in llama.cpp (emplace keeps the first).
            if (pairToRank.putIfAbsent(LongIntMap.pair(l, r), rank)) {
                int merged = vocab.id(m, 0, sp, sp + 1, m.length());
                rankToResult[rank] = merged >= 0 ? merged : extraId(extraIds, m.substring(0, sp) + m.substring(sp + 1));
            }
        }
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevel.encode(b));
            int id = vocab.id(s);
            bytePiece[b] = id >= 0 ? id : extraIds.getOrDefault(s, -1);
        }
    }

    private int extraId(Map<String, Integer> extraIds, String text) {
        return extraIds.computeIfAbsent(text, t -> {
            extraPieces.add(t);
            return vocabSize + extraPieces.size() - 1;
        });
    }

    /** Rank of merging the two pieces (lower merges first), or -1. */
    int rank(int left, int right) {
        if (left < 0 || right < 0) return -1;
        return pairToRank.get(LongIntMap.pair(left, right));
    }

    int result(int rank) { return rankToResult[rank]; }

    int bytePiece(int b) { return bytePiece[b & 0xFF]; }

    boolean isToken(int piece) { return piece >= 0 && piece < vocabSize; }

    /** Text of a non-token piece, or of the byte symbol when piece is -1. */
    String extraText(int piece, byte rawByte) {
        return piece < 0 ? String.valueOf(ByteLevel.encode(rawByte)) : extraPieces.get(piece - vocabSize);
    }

    int size() { return pairToRank.size(); }
}
