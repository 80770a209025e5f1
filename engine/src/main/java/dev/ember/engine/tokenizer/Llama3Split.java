package dev.ember.engine.tokenizer;

/**
 * The Llama 3 / Qwen 2 family of splits as a hand-written scanner:
 * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}.
 * Qwen 2 takes digits one at a time ({@code \p{N}}) instead of in threes; Qwen 3.5 lets combining
 * marks continue a letter run ({@code [\p{L}\p{M}]+}).
 *
 * <p>A scanner rather than java.util.regex: the case-insensitive contractions must only fold ASCII
 * the way llama.cpp does, \s must be Unicode White_Space, and a scanner avoids regex backtracking
 * on long runs.
 */
final class Llama3Split implements SplitStage {
    static final Llama3Split LLAMA3 = new Llama3Split(3, false);
    static final Llama3Split QWEN2 = new Llama3Split(1, false);
    static final Llama3Split QWEN35 = new Llama3Split(1, true);

    private final int maxDigits;
    private final int letterLike;

    private Llama3Split(int maxDigits, boolean marksJoinLetters) {
        this.maxDigits = maxDigits;
        this.letterLike = marksJoinLetters ? UnicodeProps.LETTER | UnicodeProps.MARK : UnicodeProps.LETTER;
    }

    @Override
    public void split(SplitText text, int start, int end, IntList out) {
        int[] cps = text.cps;
        int[] flags = text.flags;
        int prevEnd = start;
        int pos = start;
        while (pos < end) {
            int cp = cps[pos];
            int f = flags[pos];

            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            int contraction = Gpt2Split.contractionLength(cps, pos, end, true);
            if (contraction > 0) {
                pos += contraction;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+ : one leading non-letter (not a newline or digit) joins the letters
            if (!(cp == '\r' || cp == '\n' || (f & UnicodeProps.NUMBER) != 0)) {
                if ((f & letterLike) != 0 || (Gpt2Split.flagsAt(flags, pos + 1, end) & letterLike) != 0) {
                    pos++;
                    while (pos < end && (flags[pos] & letterLike) != 0) pos++;
                    out.add(pos - prevEnd);
                    prevEnd = pos;
                    continue;
                }
            }

            // \p{N}{1,maxDigits}
            if ((f & UnicodeProps.NUMBER) != 0) {
                int groupStart = pos;
                while (pos < end && (flags[pos] & UnicodeProps.NUMBER) != 0) {
                    pos++;
                    if (pos - groupStart >= maxDigits) {
                        out.add(pos - prevEnd);
                        prevEnd = pos;
                        groupStart = pos;
                    }
                }
                if (pos > prevEnd) {
                    out.add(pos - prevEnd);
                    prevEnd = pos;
                }
                continue;
            }

            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'. The test of the code point itself (not the one after the
            // space) being a real code point mirrors llama.cpp; inside a piece it always is.
            int f2 = cp == ' ' ? Gpt2Split.flagsAt(flags, pos + 1, end) : f;
            if (isOther(f2) && f != 0) {
                if (cp == ' ') pos++;
                while (pos < end && isOther(flags[pos])) pos++;
                while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n')) pos++;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }

            int spaces = 0;
            int afterLastNewline = -1;
            while (pos + spaces < end && (flags[pos + spaces] & UnicodeProps.WHITESPACE) != 0) {
                int c = cps[pos + spaces];
                if (c == '\r' || c == '\n') afterLastNewline = pos + spaces + 1;
                spaces++;
            }
            // \s*[\r\n]+ : whitespace up to and including the last newline of the run
            if (afterLastNewline >= 0) {
                pos = afterLastNewline;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            // \s+(?!\S)
            if (spaces > 1 && pos + spaces < end) {
                pos += spaces - 1;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            if (spaces > 0) {
                pos += spaces;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            pos++;
            out.add(pos - prevEnd);
            prevEnd = pos;
        }
    }

    private boolean isOther(int f) {
        return f != 0 && (f & (UnicodeProps.WHITESPACE | letterLike | UnicodeProps.NUMBER)) == 0;
    }
}
