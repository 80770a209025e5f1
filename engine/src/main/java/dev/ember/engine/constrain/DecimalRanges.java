package dev.ember.engine.constrain;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain decimal spellings ({@code -?I(.F)?}, no exponent, no leading zeros, at most
 * {@value #FRACTION_DIGITS} fraction digits) of the numbers in an interval whose ends may be open,
 * closed or absent. Exact: a spelling is in the language iff its value is in the interval (the
 * integer part is capped at {@value #CAP} when there is no upper end). The fraction digits are
 * generated digit by digit against the bound's own digits, the way integer ranges are.
 */
final class DecimalRanges {
    static final int FRACTION_DIGITS = 16;
    static final long CAP = 999_999_999_999_999L;

    private DecimalRanges() {}

    /** Numbers in the interval; {@code null} for an absent end. */
    static Rx between(BigDecimal min, boolean minStrict, BigDecimal max, boolean maxStrict) {
        List<Rx> options = new ArrayList<>();
        if (max == null || max.signum() >= 0) {            // 0 and up
            boolean fromZero = min == null || min.signum() < 0;
            options.add(nonNegative(fromZero ? BigDecimal.ZERO : min, !fromZero && minStrict, max, maxStrict));
        }
        if (min == null || min.signum() < 0) {             // below 0: -m with m in [-max, -min]
            boolean fromZero = max == null || max.signum() >= 0;
            options.add(Rx.seq(Rx.literal("-"), nonNegative(fromZero ? BigDecimal.ZERO : max.negate(), !fromZero && maxStrict,
                    min == null ? null : min.negate(), minStrict)));
        }
        return Rx.alt(options);
    }

    /** Spellings without sign of the values in [lo, hi] (ends open when strict; hi null for none), lo >= 0. */
    private static Rx nonNegative(BigDecimal lo, boolean loStrict, BigDecimal hi, boolean hiStrict) {
        if (hi != null && (hi.compareTo(lo) < 0 || (hi.compareTo(lo) == 0 && (loStrict || hiStrict)))) return Rx.NOTHING;
        long l = integer(lo.setScale(0, RoundingMode.FLOOR));
        String fl = fraction(lo);
        if (l > CAP) return Rx.NOTHING;
        List<Rx> options = new ArrayList<>();
        if (hi == null) {
            options.add(Rx.seq(IntegerRanges.between(l, l), fractionPart(fl, "", true, false, loStrict, false)));
            if (l < CAP) options.add(Rx.seq(IntegerRanges.between(l + 1, CAP), fractionPart("", "", false, false, false, false)));
            return Rx.alt(options);
        }
        long h = integer(hi.setScale(0, RoundingMode.FLOOR));
        String fh = fraction(hi);
        if (l == h) return Rx.seq(IntegerRanges.between(l, l), fractionPart(fl, fh, true, true, loStrict, hiStrict));
        options.add(Rx.seq(IntegerRanges.between(l, l), fractionPart(fl, "", true, false, loStrict, false)));
        if (h - l > 1) options.add(Rx.seq(IntegerRanges.between(l + 1, h - 1), fractionPart("", "", false, false, false, false)));
        options.add(Rx.seq(IntegerRanges.between(h, h), fractionPart("", fh, false, true, false, hiStrict)));
        return Rx.alt(options);
    }

    private static long integer(BigDecimal v) {
        try {
            return v.longValueExact();
        } catch (ArithmeticException e) {
            throw new ConstraintException("number bound " + v + " is outside the 64-bit integer range");
        }
    }

    /** The digits after the point of a non-negative value, without trailing zeros ("" for an integer). */
    private static String fraction(BigDecimal v) {
        BigDecimal f = v.subtract(v.setScale(0, RoundingMode.FLOOR)).stripTrailingZeros();
        if (f.signum() == 0) return "";
        String s = f.toPlainString();              // "0.xyz"
        String digits = s.substring(s.indexOf('.') + 1);
        if (digits.length() > FRACTION_DIGITS) {
            throw new ConstraintException("number bound " + v + " has more than " + FRACTION_DIGITS + " fraction digits");
        }
        return digits;
    }

    /** Nothing, or "." and 1..16 digits, such that 0.F keeps to the fraction bounds that are active. */
    private static Rx fractionPart(String fl, String fh, boolean loAct, boolean hiAct, boolean loStrict, boolean hiStrict) {
        Rx none = canStop(fl, fh, 0, loAct, hiAct, loStrict, hiStrict) ? Rx.EMPTY : Rx.NOTHING;
        return Rx.alt(none, Rx.seq(Rx.literal("."), digits(fl, fh, 0, loAct, hiAct, loStrict, hiStrict, true)));
    }

    /** Digit strings from position {@code pos} on (non-empty when {@code needOne}). */
    private static Rx digits(String fl, String fh, int pos, boolean loAct, boolean hiAct, boolean loStrict, boolean hiStrict, boolean needOne) {
        int budget = FRACTION_DIGITS - pos;
        if (!loAct && !hiAct) return Rx.repeat(range(0, 9), needOne ? 1 : 0, budget);
        List<Rx> options = new ArrayList<>();
        if (!needOne && canStop(fl, fh, pos, loAct, hiAct, loStrict, hiStrict)) options.add(Rx.EMPTY);
        if (budget > 0) {
            int lo = loAct ? digit(fl, pos) : 0, hi = hiAct ? digit(fh, pos) : 9;
            if (lo <= hi) {
                if (loAct) {
                    options.add(Rx.seq(range(lo, lo), digits(fl, fh, pos + 1, true, hiAct && lo == hi, loStrict, hiStrict, false)));
                }
                if (hiAct && !(loAct && lo == hi)) {
                    options.add(Rx.seq(range(hi, hi), digits(fl, fh, pos + 1, false, true, loStrict, hiStrict, false)));
                }
                int from = loAct ? lo + 1 : lo, to = hiAct ? hi - 1 : hi;
                if (from <= to) options.add(Rx.seq(range(from, to), Rx.repeat(range(0, 9), 0, budget - 1)));
            }
        }
        return Rx.alt(options);
    }

    /** Whether the digits so far may end here: not below an active lower bound, not above an active upper one. */
    private static boolean canStop(String fl, String fh, int pos, boolean loAct, boolean hiAct, boolean loStrict, boolean hiStrict) {
        boolean loOk = !loAct || (zerosFrom(fl, pos) && !loStrict);            // equal to lo here, or below it
        boolean hiOk = !hiAct || !(zerosFrom(fh, pos) && hiStrict);            // at most hi, equal only when allowed
        return loOk && hiOk;
    }

    private static boolean zerosFrom(String digits, int pos) {
        for (int i = pos; i < digits.length(); i++) if (digits.charAt(i) != '0') return false;
        return true;
    }

    private static int digit(String digits, int pos) {
        return pos < digits.length() ? digits.charAt(pos) - '0' : 0;
    }

    private static Rx range(int lo, int hi) {
        return Rx.chars(CodePointSet.of('0' + lo, '0' + hi));
    }
}
