package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.List;

/** The decimal spellings (no leading zeros, "-" for negatives) of the integers in a closed range, as an {@link Rx}. */
final class IntegerRanges {
    private IntegerRanges() {}

    static Rx between(long min, long max) {
        if (min > max) return Rx.NOTHING;
        List<Rx> options = new ArrayList<>();
        if (min < 0) {
            long negHi = -min, negLo = max < 0 ? -max : 1;   // magnitudes of the negative part
            options.add(Rx.seq(Rx.literal("-"), nonNegative(negLo, negHi)));
        }
        if (max >= 0) options.add(nonNegative(Math.max(0, min), max));
        return Rx.alt(options);
    }

    /** Spellings of [lo, hi], 0 <= lo <= hi, split by digit count. */
    private static Rx nonNegative(long lo, long hi) {
        List<Rx> options = new ArrayList<>();
        long from = lo;
        while (from <= hi) {
            int digits = Long.toString(from).length();
            long top = digits >= 19 ? Long.MAX_VALUE : pow10(digits) - 1;
            long to = Math.min(hi, top);
            options.add(sameLength(Long.toString(from), Long.toString(to)));
            if (to == Long.MAX_VALUE) break;
            from = to + 1;
        }
        return Rx.alt(options);
    }

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }

    /** Digit strings of one length from a to b inclusive (a <= b, same length). */
    private static Rx sameLength(String a, String b) {
        int n = a.length();
        if (n == 1) return digit(a.charAt(0), b.charAt(0));
        char a0 = a.charAt(0), b0 = b.charAt(0);
        String aRest = a.substring(1), bRest = b.substring(1);
        // a full block (x00..0 to y99..9) is one class and free digits; without this the two ends recurse into 2^n pieces
        if (aRest.chars().allMatch(c -> c == '0') && bRest.chars().allMatch(c -> c == '9')) {
            return Rx.seq(digit(a0, b0), Rx.repeat(digit('0', '9'), n - 1, n - 1));
        }
        if (a0 == b0) return Rx.seq(Rx.literal(String.valueOf(a0)), sameLength(aRest, bRest));
        List<Rx> options = new ArrayList<>();
        String nines = "9".repeat(n - 1), zeros = "0".repeat(n - 1);
        options.add(Rx.seq(Rx.literal(String.valueOf(a0)), sameLength(aRest, nines)));
        if (b0 - a0 > 1) options.add(Rx.seq(digit((char) (a0 + 1), (char) (b0 - 1)), Rx.repeat(digit('0', '9'), n - 1, n - 1)));
        options.add(Rx.seq(Rx.literal(String.valueOf(b0)), sameLength(zeros, bRest)));
        return Rx.alt(options);
    }

    private static Rx digit(char lo, char hi) {
        return Rx.chars(CodePointSet.of(lo, hi));
    }
}
