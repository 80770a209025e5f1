package dev.ember.engine.constrain;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Regexes compiled to byte automata accept exactly what java.util.regex fully matches. */
class AutomatonTest {
    private static boolean accepts(String pattern, String s) {
        return ByteDfa.of(JavaRegex.parse(pattern)).matches(s.getBytes(StandardCharsets.UTF_8));
    }

    private static void agree(String pattern, String... inputs) {
        ByteDfa dfa = ByteDfa.of(JavaRegex.parse(pattern));
        Pattern p = Pattern.compile(pattern);
        for (String s : inputs) {
            assertEquals(p.matcher(s).matches(), dfa.matches(s.getBytes(StandardCharsets.UTF_8)), "/" + pattern + "/ on '" + s + "'");
        }
    }

    @Test
    void regexFeaturesAgreeWithJavaUtilRegex() {
        agree("abc", "abc", "ab", "abcd", "");
        agree("a|bc|", "a", "bc", "", "b", "abc");
        agree("a*b+c?", "b", "aab", "abbbc", "c", "ac", "bcc");
        agree("x{3}", "xx", "xxx", "xxxx");
        agree("x{2,}", "x", "xx", "xxxxxxx");
        agree("x{1,3}?y", "y", "xy", "xxxy", "xxxxy");
        agree("[a-cx-z]+", "abz", "d", "", "cyx");
        agree("[^a-c]", "d", "a", "é", "日");
        agree("[a-z&&[^aeiou]]+", "bcd", "bad", "xyz");
        agree("[\\d\\s]+", "1 2\t3", "a");
        agree("\\d{3}-\\d{4}", "555-1234", "55-1234", "555-12345");
        agree("\\w+@\\w+\\.com", "me@site.com", "me@site.org", "a b@c.com");
        agree("\\S+\\W", "ab!", "ab", "a b!");
        agree("(?:ab)+(cd)?", "abab", "ababcd", "abcdcd");
        agree("(?<year>\\d{4})-(?<m>\\d\\d)", "2024-05", "24-05");
        agree("(?i)hello", "HeLLo", "hello", "HELLO!");
        agree("a(?i:b)c", "aBc", "abc", "ABC");
        agree(".+", "abc", "a\nb", "日本");
        agree("(?s).+", "a\nb");
        agree("\\p{Lu}\\p{Ll}+", "Hello", "hello", "Élan", "ÉLAN");
        agree("\\p{IsGreek}+", "αβγ", "abc");
        agree("\\p{Alpha}+", "abc", "ábc");
        agree("[\\u00e0-\\u00ff]+", "àéÿ", "aé");
        agree("\\x41\\x{1F600}", "A😀", "A😁");
        agree("\\Qa.b*\\E", "a.b*", "axbb");
        agree("\\t\\n\\.", "\t\n.", "\t\nx");
        agree("^(yes|no)$", "yes", "no", "maybe");
        agree("[日本語]{2}", "日本", "日語", "本", "日日日");
        agree("[\\x{10000}-\\x{10FFFF}]", "😀", "\uD83D\uDE00", "a", "\uFFFF");
        agree("[^\\x00-\\x7F]", "é", "a", "😀", "\u0800", "\uFFFD");
        agree("a.*z", "az", "abcz", "a日本z", "abc");
        agree("-?(0|[1-9][0-9]*)(\\.[0-9]+)?", "0", "-12.50", "012", "1.", "-0");
    }

    /** Patterns java.util.regex rejects are errors here too (a constraint must never stand for a pattern that does not exist). */
    private static void bothReject(String pattern) {
        assertThrows(java.util.regex.PatternSyntaxException.class, () -> Pattern.compile(pattern), "java.util.regex accepts /" + pattern + "/");
        assertThrows(ConstraintException.class, () -> JavaRegex.parse(pattern), "/" + pattern + "/ compiled to a constraint");
    }

    /**
     * Fuzz findings (RegexFuzzTest): class and escape rules where the constraint once meant
     * something other than java.util.regex, so sampled outputs did not match the pattern.
     */
    @Test
    void classesEscapesAndFlagsMeanWhatJavaUtilRegexMeans() {
        agree("[a-[b]]", "a", "-", "b", "c", "[");          // '-' before a nested class is no range
        agree("[&&a]", "a", "b", "&");                      // an intersection with nothing on the left is its right side
        agree("[a&&]", "a", "b", "&");                      // ... and with nothing on the right its left side
        agree("[]a]", "]", "a", "b");                       // ']' first is a literal
        agree("[[a]]]", "a", "]", "a]");                    // ... but closes a class once something is in it
        agree("[ab&&b&c]", "a", "b", "c", "&");
        agree("[a&&[ab]c]", "a", "b", "c");
        agree("[a^&&^b]", "a", "b", "^");                   // '^' after && is a literal
        agree("(?i)[^a]", "a", "A", "b", "B");              // folding applies before the negation
        agree("(?i)[^a-c]", "a", "B", "d", "D");
        agree("(?i)\\P{Lu}", "a", "A", "1", "é");           // (?i)\p{Lu} is every cased letter
        agree("(?i)\\P{Lower}", "a", "Z", "1");
        agree("(?i)[\\P{javaUpperCase}]", "a", "Z", "1");
        agree("(?i)\\W\\D", "!x", "!X", "a1");
        agree("\\0777", "?7", "\u01ff", "?");               // three octal digits only up to \0377
        agree("\\0377", "\u00ff", "\u001f7");
        agree("\\Qab\\E*", "a", "ab", "abb", "abab", "");    // a quantifier after \E repeats the last quoted character
        agree("\\Qa\\Eb+", "ab", "abb", "abab");
        // Pattern removes \Q..\E before parsing, stepping over two-character escapes to find \Q: after \c
        // the quote's inserted backslash is the control character's operand (a fuzz finding)
        agree("x\\c\\Q:\\s", "x\u001c:\\s", "x\u001cQ: ", "x\u001c: ");
        agree("[\\Qa-c\\E]+", "a", "-", "c", "b", "a-c");
        bothReject("\\x4\\Q1\\E");                      // the quoted digit becomes \x31, so \x4 meets a backslash
        agree("a\\Q\\\\E", "a\\", "a");
        agree("[\\v-z]", "\u000B", "a", "z", "\u2028", "\n"); // \v is U+000B at a range's ends
        agree("[\\v]", "\u000B", "\u2028", "\n");
        agree("\\p{IsWhite_Space}", " ", "\u001C", "\u00A0", "\u0085");
        agree("\\p{IsUppercase}\\p{gc=Lu}", "ÉA", "éa");
        agree("\\p{javaLowerCase}\\p{L1}", "aÿ", "aĀ");
        agree("\\x{1F600}[\\x{1F600}-\\x{1F64F}]", "😀🙏", "😀a");
        agree(".{300}z", "a".repeat(300) + "z", "é".repeat(300) + "z", "a".repeat(299) + "z", "\n".repeat(300) + "z");
        agree("a\\Rb", "a\r\nb", "a\nb", "a\u2028b", "ab", "a\n\nb");
        for (String bad : new String[]{
                "[A-[]]", "(?<1a>x)", "(?<a>x)(?<a>y)", "(?<a-b>x)", "(?i-s-i)a", "\\p{digit}", "\\p{gc=digit}", "\\p{IsNonsense}",
                "[a-\\d]", "\\x{}", "\\x{110000}", "\\xg0", "\\u12", "\\Q\\E*", "[\\1]", "\\c", "\\p{}"}) {
            bothReject(bad);
        }
        // Constructs java.util.regex accepts but a constraint cannot follow: errors by name.
        for (String[] bad : new String[][]{{"(?U)\\w", "flag 'U'"}, {"(?iu)é", "flag 'u'"},
                {"[a&&[b]&c]", "after an intersection"}}) {
            Pattern.compile(bad[0]);
            ConstraintException e = assertThrows(ConstraintException.class, () -> JavaRegex.parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    /** GBNF numbers are digits only and escapes name real characters (Integer.parseInt took signs; "\U" went past U+10FFFF). */
    @Test
    void gbnfEscapesAndRepetitionsAreCheckedBeforeUse() {
        for (String[] bad : new String[][]{{"root ::= \"\\x-1\"", "bad hex escape"}, {"root ::= \"\\U7FFFFFFF\"", "beyond U+10FFFF"},
                {"root ::= [\\U00110000-\\U00110001]", "beyond U+10FFFF"}, {"root ::= \"\\uD800\"", "surrogate"},
                {"root ::= \"a\"{-1}", "bad repetition"}, {"root ::= \"a\"{+2}", "bad repetition"}}) {
            ConstraintException e = assertThrows(ConstraintException.class, () -> ByteDfa.of(Gbnf.compile(bad[0], 3)), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        assertTrue(ByteDfa.of(Gbnf.compile("root ::= \"\\x41\\u00e9\\U0001F600\"{2}", 3)).matches("Aé😀Aé😀".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void notRegularOrUnsupportedConstructsFailByName() {
        for (String[] bad : new String[][]{
                {"(a)\\1", "backreferences"}, {"(?=a)a", "lookahead"}, {"(?<=a)b", "lookbehind"},
                {"a*+", "possessive"}, {"\\bword\\b", "word boundaries"}, {"(?>a)", "atomic"},
                {"a^b", "'^'"}, {"(a", "unclosed"}, {"[a", "unclosed"}, {"\\p{Nonsense}", "unknown character property"},
                {"(?x)a", "flag 'x'"}}) {
            ConstraintException e = assertThrows(ConstraintException.class, () -> JavaRegex.parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void utf8SplitEncodesExactlyTheRange() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int a = r.nextInt(0x110000), b = r.nextInt(0x110000);
            if (trial % 4 == 0) { a = r.nextInt(0x900); b = a + r.nextInt(0x900); }
            int lo = Math.min(a, b), hi = Math.max(a, b);
            ByteDfa dfa = ByteDfa.of(Rx.chars(CodePointSet.of(lo, hi)));
            for (int k = 0; k < 60; k++) {
                int cp = switch (k % 4) {
                    case 0 -> lo + r.nextInt(hi - lo + 1);
                    case 1 -> Math.max(0, lo - 1 - r.nextInt(3));
                    case 2 -> Math.min(0x10FFFF, hi + 1 + r.nextInt(3));
                    default -> r.nextInt(0x110000);
                };
                if (cp >= 0xD800 && cp <= 0xDFFF) continue;
                byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                assertEquals(cp >= lo && cp <= hi, dfa.matches(bytes), String.format("U+%X in [%X, %X]", cp, lo, hi));
            }
        }
    }

    @Test
    void integerRangesSpellExactlyTheirMembers() {
        long[][] ranges = {{0, 0}, {0, 9}, {7, 123}, {-15, 42}, {-300, -7}, {1, 1000}, {99, 101}, {-1, 0}, {950, 12_050}};
        for (long[] rg : ranges) {
            ByteDfa dfa = ByteDfa.of(IntegerRanges.between(rg[0], rg[1]));
            for (long v = rg[0] - 60; v <= rg[1] + 60; v++) {
                assertEquals(v >= rg[0] && v <= rg[1], dfa.matches(Long.toString(v).getBytes()), v + " in " + rg[0] + ".." + rg[1]);
            }
            assertFalse(dfa.matches(("0" + rg[1]).getBytes()), "leading zero");
            assertFalse(dfa.matches("-0".getBytes()));
        }
    }

    @Test
    void minimizationMergesEquivalentStatesAndTrimmingDropsDeadOnes() {
        // (ab|ab|ab)c minimizes to a 4-state chain
        assertEquals(4, ByteDfa.of(JavaRegex.parse("(ab|ab|ab)c")).size());
        // a branch that can never finish is gone: after 'x' nothing is alive
        ByteDfa d = ByteDfa.of(Rx.alt(Rx.literal("ok"), Rx.seq(Rx.literal("x"), Rx.NOTHING)));
        assertEquals(ByteDfa.DEAD, d.step(d.start, 'x'));
        assertThrows(ConstraintException.class, () -> ByteDfa.of(Rx.seq(Rx.literal("a"), Rx.NOTHING)));
    }

    /**
     * Minimization leaves no two states that accept the same continuations: checked against Moore's
     * round-by-round refinement (a reference independent of the Hopcroft code), on patterns with
     * many byte classes (UTF-8 ranges), counted repetitions inside loops and lazy quantifiers.
     */
    @Test
    void minimizedAutomataHaveNoEquivalentStates() {
        agree("(ab|a.){0,6}c", "c", "abac", "aXabc", "abababababac", "ababababababac", "aéc", "ab");
        agree("(x|y){0,5}x(x|y){4}", "xyyyy", "yyxxxxx", "yyyyyyxyyyy", "xyyy", "yyyyyxxxxx");
        agree("(a|bc|d.{2}){3}e?", "abce", "aaa", "dééaa", "dxxbcbce", "aa", "abcbce");
        for (String pattern : List.of("(ab|ab|ab)c", "[a-c]*d[a-c]{3}", "(x|y)*x(x|y){4}", "\\p{L}+\\d{2,4}", "[^a]é.{2}z",
                "^(a.{0,4}|MM.{5}bz.)+?::=\\w]\\p{L}$", "(\\p{Lu}\\p{Ll}*|[0-9]{1,3})( (\\p{Lu}\\p{Ll}*|[0-9]{1,3}))*",
                // without cycles: minimized in one pass from the ends, not by Hopcroft
                ".{30}z", "(ab|a.){0,6}c", "(\\p{L}|\\d){2,5}-\\w{0,3}", "(a|bc|d.{2}){3}e?", "(x|y){0,5}x(x|y){4}")) {
            ByteDfa d = ByteDfa.of(JavaRegex.parse(pattern));
            assertEquals(d.size(), mooreClasses(d), pattern);
        }
    }

    /** Equivalence classes of the DFA's states plus the dead sink, by Moore's refinement; less the sink's class. */
    private static int mooreClasses(ByteDfa d) {
        int n = d.size(), k = d.classes;
        int[] cls = new int[n + 1];
        for (int s = 0; s < n; s++) cls[s] = d.accepting[s] ? 1 : 0;
        cls[n] = 2;
        int count = 0;
        for (boolean changed = true; changed; ) {
            java.util.Map<List<Integer>, Integer> ids = new java.util.HashMap<>();
            int[] next = new int[n + 1];
            for (int s = 0; s <= n; s++) {
                List<Integer> sig = new java.util.ArrayList<>();
                sig.add(cls[s]);
                for (int c = 0; c < k; c++) {
                    int t = s == n ? n : d.next[s * k + c];
                    sig.add(cls[t == ByteDfa.DEAD ? n : t]);
                }
                next[s] = ids.computeIfAbsent(sig, x -> ids.size());
            }
            changed = ids.size() != count;
            count = ids.size();
            cls = next;
        }
        return count - 1;
    }

    @Test
    void choicesAndGrammarsCompile() {
        ByteDfa choice = ByteDfa.of(CompiledConstraint.toRx(new dev.ember.engine.api.Constraint.Choice(List.of("red", "green", "日本"))));
        assertTrue(choice.matches("green".getBytes()));
        assertTrue(choice.matches("日本".getBytes(StandardCharsets.UTF_8)));
        assertFalse(choice.matches("gree".getBytes()));
    }

    /**
     * Fuzz findings (RegexFuzzTest, JsonSchemaFuzzTest timeouts): an open-ended repetition before a
     * counted one over UTF-8 ({@code .*X.{404}z}) needs exponentially many states and must fail with
     * a clear error, as must the {@code pattern} of a JSON schema shaped like it (how fast is the fuzz
     * targets' per-input limit, not a timed assertion here); a pattern whose automaton is merely
     * large compiles and agrees.
     */
    @Test
    void subsetExplosionsFailFastAndLargeLinearAutomataStillCompile() {
        for (String pattern : new String[]{".*a.{404}z", ".*\u00e9.{404}z\uFFFD"}) {
            ConstraintException e = assertThrows(ConstraintException.class, () -> ByteDfa.of(JavaRegex.parse(pattern)));
            assertTrue(e.getMessage().startsWith("constraint too large"), e.getMessage());
        }
        String schema;   // the JSON-schema finding: a "pattern" of U+FFFDs and dots, searched for anywhere
        try (var in = AutomatonTest.class.getResourceAsStream("JsonSchemaFuzzTestInputs/compile/timeout-7478440883ad0d92c5f0e521c5ab3709b99b1462")) {
            schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ConstraintException e = assertThrows(ConstraintException.class, () -> ByteDfa.of(JsonSchema.compile(schema)));
        assertTrue(e.getMessage().startsWith("constraint too large"), e.getMessage());

        String fffd = "\uFFFD".repeat(33);
        agree(".{0,8}z.{0,8}" + fffd, "z" + fffd, "aaaazbb" + fffd, "zz" + fffd, "z", "aaaaaaaaaz" + fffd, "\u00e9z\u00e9" + fffd);
        // A loop of two branches, one with a 13-dot chain, over UTF-8: 26,791 states after minimization
        // (36,856 x 133 byte classes before); a RegexFuzzTest timeout. It took most of a second to minimize
        // with (block, class) splitters, 0.3 s after; it is now over the transition-table bound.
        String loop = "^(a.{0,4}|MMM.............MMMMMMMbz.)+?::=\u001d?.! \r\u0004\u001d?.! \\w]\\p{L}$";
        ConstraintException eLoop = assertThrows(ConstraintException.class, () -> ByteDfa.of(JavaRegex.parse(loop)));
        assertTrue(eLoop.getMessage().contains("133 byte classes"), eLoop.getMessage());
        agree("^(a.{0,4}|MMM...MMbz.)+?::=\\w]\\p{L}$", "a::=_]\u00e9", "b::=_]\u00e9", "MMM012MMbzQa\u00e9::=1]Z", "aaaaaa::=_]1");
        // A linear automaton of ~66,000 states (26 byte classes) stays inside the bounds; ~220,000 states
        // (.{20000}, a JSON string of maxLength 20,000) is over the transition-table bound, as are two fuzz
        // findings inside the subset bound whose automata took 0.3-0.7 s (over 1 s under instrumentation).
        ByteDfa big = ByteDfa.of(JavaRegex.parse(".{6000}"));
        assertTrue(big.matches("\u00e9".repeat(6000).getBytes(StandardCharsets.UTF_8)));
        assertFalse(big.matches("a".repeat(5999).getBytes(StandardCharsets.UTF_8)));
        for (String tooLarge : new String[]{".{20000}", "^(\u0010" + "0.{0,4}|bzc)+(a0.{014}|bzc)+?\uFFFD\uFFFD\\w]\\p{L}$",
                ".*\uFFFDB" + "\uFFFD".repeat(43) + ".{090}z\uFFFDU\uFFFD\uFFFD\uFFFDo\u0001\u00065}"}) {
            ConstraintException big2 = assertThrows(ConstraintException.class, () -> ByteDfa.of(JavaRegex.parse(tooLarge)), tooLarge);
            assertTrue(big2.getMessage().startsWith("constraint too large"), big2.getMessage());
        }
        ConstraintException e20k = assertThrows(ConstraintException.class, () -> ByteDfa.of(JsonSchema.compile("{\"type\":\"string\",\"maxLength\":20000}")));
        assertTrue(e20k.getMessage().contains("reduce repetition bounds such as maxLength"), e20k.getMessage());
        assertTrue(ByteDfa.of(JsonSchema.compile("{\"type\":\"string\",\"maxLength\":8000}")).size() > 8000);
        // a counted repetition that cannot fit the NFA bound fails before building it (was: two million states first)
        ConstraintException huge = assertThrows(ConstraintException.class, () -> ByteDfa.of(JsonSchema.compile("{\"type\":\"string\",\"pattern\":\"n+\\\\d{0004293203}$\"}")));
        assertTrue(huge.getMessage().startsWith("constraint too large: more than " + ByteNfa.MAX_STATES + " automaton states"), huge.getMessage());
        for (String tooLarge : new String[]{".{0,99993}zit", "(a{1000}){1000}"}) {
            ConstraintException nfa = assertThrows(ConstraintException.class, () -> ByteDfa.of(JavaRegex.parse(tooLarge)), tooLarge);
            assertTrue(nfa.getMessage().startsWith("constraint too large: more than " + ByteNfa.MAX_STATES + " automaton states"), nfa.getMessage());
        }
    }

    /**
     * Repetitions nested directly in repetitions are one loop ((x*)*, (x?)+, (x{1,3})*, (x*){2,5}), so
     * that the empty moves of twenty nested loops are not walked again for every subset (a GBNF
     * RegexFuzzTest timeout nested a rule reference in a hundred stars); nested loops that cannot
     * be merged are bounded by the empty moves walked, and fail by name.
     */
    @Test
    void nestedRepetitionsAreOneLoopAndEmptyMoveWebsAreBounded() {
        agree("(a*)*b", "b", "aaab", "ab", "a", "");
        agree("(a?)+b", "b", "aab", "c");
        agree("(a{1,3})*b", "b", "aaaaaab", "ab");
        agree("(a{1,3})+b", "b", "ab", "aaaaaaab");
        agree("(a{2,3})*b", "b", "ab", "aab", "aaab", "aaaaab");   // not x*: a single a is not in it
        agree("(a*){2,5}b", "b", "aaaaaaaaab");
        agree("(a+)?b", "b", "ab", "aab");
        assertEquals(ByteDfa.of(JavaRegex.parse("a*")).size(), ByteDfa.of(JavaRegex.parse("((((a*)*)+)*)*")).size());
        assertTrue(Rx.repeat(Rx.repeat(Rx.literal("a"), 2, 3), 0, -1) instanceof Rx.Repeat r && r.item() instanceof Rx.Repeat);

        String grammar;   // the fuzz finding: root repeated inside itself, then under a hundred stars
        try (var in = AutomatonTest.class.getResourceAsStream("RegexFuzzTestInputs/compile/timeout-17dbccbaebece0aeec51fcc594f6d078c5a03ab0")) {
            byte[] data = in.readAllBytes();
            grammar = new String(data, 1, data.length - 1, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ConstraintException g = assertThrows(ConstraintException.class,
                () -> ByteDfa.of(CompiledConstraint.toRx(new dev.ember.engine.api.Constraint.Grammar(grammar))));
        assertTrue(g.getMessage().startsWith("constraint too large"), g.getMessage());

        // 150 loops, each behind an empty alternative so that they do not merge, in 1,300 copies that a
        // letter cannot tell apart (d is a letter too), so that subsets hold many copies' webs
        ConstraintException w = assertThrows(ConstraintException.class, () -> ByteDfa.of(JavaRegex.parse("(" + emptyMoveWeb("[a-z]", 150) + "d){1,1300}")));
        assertTrue(w.getMessage().startsWith("constraint too large: building its automaton walks more than "
                + ByteDfa.MAX_CLOSURE_STEPS + " empty moves"), w.getMessage());
        ByteDfa fewer = ByteDfa.of(JavaRegex.parse("(" + emptyMoveWeb("[a-c]", 150) + "d){1,20}"));
        assertTrue(fewer.matches("abcd".repeat(20).getBytes(StandardCharsets.UTF_8)));
        assertFalse(fewer.matches("abcd".repeat(21).getBytes(StandardCharsets.UTF_8)));
    }

    private static String emptyMoveWeb(String body, int loops) {
        String web = body;
        for (int i = 0; i < loops; i++) web = "(" + web + ")*(|)";
        return web;
    }
}
