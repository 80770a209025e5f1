package dev.ember.engine.sample;

import java.util.List;

/**
 * Finds stop strings in text that arrives piece by piece, emitting only text that can no longer
 * become part of a match.
 *
 * <p>After each piece it emits everything except the longest suffix that is a proper prefix of
 * some stop string; that suffix waits for the next piece. When a stop string completes, the text
 * before it is emitted, the match and everything after it are dropped, and the matcher is done.
 *
 * <p>The match that wins is the one that completes first in the text (smallest end), ties to the
 * one starting earliest. That is what a reader going character by character would stop at, so the
 * result does not depend on how the text was split into pieces: with stops {@code "abcd"} and
 * {@code "bc"}, "abcd" yields "a" whether it arrives whole or as "ab", "c", "d".
 *
 * <p>Stop strings are short, so the hold-back check is a direct suffix/prefix comparison per stop
 * string; the held text never exceeds the longest stop string minus one character.
 */
public final class StopMatcher {
    private final String[] stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean matched;

    public StopMatcher(List<String> stops) {
        this.stops = stops.toArray(String[]::new);
        for (String s : this.stops) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must be non-empty");
        }
    }

    /**
     * Takes the next decoded piece and appends to {@code out} the text that is now safe to emit.
     *
     * @return true when a stop string completed; {@code out} then ends right before the match
     */
    public boolean feed(CharSequence piece, StringBuilder out) {
        if (matched) throw new IllegalStateException("a stop string already matched");
        if (stops.length == 0) {
            out.append(piece);
            return false;
        }
        pending.append(piece);
        // pending holds no complete match from earlier calls, so any match ends in the new piece.
        int bestStart = -1;
        int bestEnd = Integer.MAX_VALUE;
        for (String s : stops) {
            int start = pending.indexOf(s);
            if (start < 0) continue;
            int end = start + s.length();
            if (end < bestEnd || (end == bestEnd && start < bestStart)) {
                bestEnd = end;
                bestStart = start;
            }
        }
        if (bestStart >= 0) {
            out.append(pending, 0, bestStart);
            pending.setLength(0);
            matched = true;
            return true;
        }
        int hold = heldSuffix();
        int emit = pending.length() - hold;
        out.append(pending, 0, emit);
        pending.delete(0, emit);
        return false;
    }

    /** Releases the held-back text at the end of generation (nothing once a stop string matched). */
    public void flush(StringBuilder out) {
        out.append(pending);
        pending.setLength(0);
    }

    public boolean matched() { return matched; }

    /** Characters currently held back. */
    int held() { return pending.length(); }

    /** Length of the longest suffix of {@code pending} that is a proper prefix of a stop string. */
    private int heldSuffix() {
        int best = 0;
        int len = pending.length();
        for (String s : stops) {
            for (int h = Math.min(s.length() - 1, len); h > best; h--) {
                if (endsWithPrefix(s, h, len)) {
                    best = h;
                    break;
                }
            }
        }
        return best;
    }

    private boolean endsWithPrefix(String s, int h, int len) {
        for (int i = 0, p = len - h; i < h; i++, p++) {
            if (pending.charAt(p) != s.charAt(i)) return false;
        }
        return true;
    }
}
