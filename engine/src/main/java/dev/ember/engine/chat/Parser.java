package dev.ember.engine.chat;

import dev.ember.engine.chat.Lexer.Kind;
import dev.ember.engine.chat.Lexer.Token;
import dev.ember.engine.chat.Node.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Parses tokens into {@link Node}s with jinja2's grammar and operator precedence. Tags that would
 * reach outside the template (include, import, extends) are refused here, before anything runs.
 */
final class Parser {
    /** Deepest nesting of blocks and of expressions: deeper input is refused rather than overflowing the stack. */
    static final int MAX_DEPTH = 64;

    private final List<Token> tokens;
    private int pos;
    private int depth;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Stmt> body = p.body(Set.of());
        if (p.peek().kind() != Kind.EOF) throw p.error("unexpected '" + p.peek().text() + "'");
        return body;
    }

    private Token peek() { return tokens.get(pos); }
    private Token peek(int ahead) { return tokens.get(Math.min(pos + ahead, tokens.size() - 1)); }
    private Token next() { Token t = tokens.get(pos); if (t.kind() != Kind.EOF) pos++; return t; }

    private ChatTemplateException error(String message) {
        return new ChatTemplateException("chat template syntax error: " + message + " (line " + peek().line() + ")");
    }

    private void expectOp(String op) {
        if (!peek().isOp(op)) throw error("expected '" + op + "' but found '" + describe(peek()) + "'");
        next();
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of template";
            case BLOCK_END -> "%}";
            case VAR_END -> "}}";
            default -> t.text();
        };
    }

    private String name() {
        if (peek().kind() != Kind.NAME) throw error("expected a name but found '" + describe(peek()) + "'");
        return next().text();
    }

    private void blockEnd() {
        if (peek().kind() != Kind.BLOCK_END) throw error("expected '%}' but found '" + describe(peek()) + "'");
        next();
    }

    private void enter() {
        if (++depth > MAX_DEPTH) throw error("the template nests deeper than " + MAX_DEPTH + " levels");
    }

    /** Statements up to a block tag whose name is in {@code ends} (left unconsumed, after its "{%"). */
    private List<Stmt> body(Set<String> ends) {
        enter();
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) throw error("missing " + String.join(" or ", new java.util.TreeSet<>(ends)));
                    depth--;
                    return out;
                }
                case TEXT -> out.add(new Text(next().line(), t.text()));
                case VAR_BEGIN -> {
                    next();
                    Expr e = tuple(true);
                    if (peek().kind() != Kind.VAR_END) throw error("expected '}}' but found '" + describe(peek()) + "'");
                    next();
                    out.add(new Print(t.line(), e));
                }
                case BLOCK_BEGIN -> {
                    Token nameTok = peek(1);
                    if (nameTok.kind() == Kind.NAME && ends.contains(nameTok.text())) {
                        next();
                        depth--;
                        return out;
                    }
                    next();
                    out.add(statement());
                }
                default -> throw error("unexpected '" + describe(t) + "'");
            }
        }
    }

    /** Consumes "name" (the end tag body() stopped at) and its "%}". */
    private String endTag() {
        String n = name();
        blockEnd();
        return n;
    }

    private Stmt statement() {
        int line = peek().line();
        String kw = name();
        switch (kw) {
            case "if": {
                List<Expr> tests = new ArrayList<>();
                List<List<Stmt>> bodies = new ArrayList<>();
                tests.add(tuple(false));
                blockEnd();
                List<Stmt> orElse = List.of();
                while (true) {
                    bodies.add(body(Set.of("elif", "else", "endif")));
                    String end = name();
                    if (end.equals("elif")) {
                        tests.add(tuple(false));
                        blockEnd();
                    } else if (end.equals("else")) {
                        blockEnd();
                        orElse = body(Set.of("endif"));
                        endTag();
                        break;
                    } else {
                        blockEnd();
                        break;
                    }
                }
                return new If(line, tests, bodies, orElse);
            }
            case "for": {
                Expr target = assignTarget(false);
                if (!peek().isName("in")) throw error("expected 'in' in the for loop");
                next();
                Expr iter = tuple(false, true);
                Expr filter = null;
                if (peek().isName("if")) {
                    next();
                    filter = tuple(false);
                }
                if (peek().isName("recursive")) throw error("recursive loops are not supported");
                blockEnd();
                List<Stmt> body = body(Set.of("endfor", "else"));
                List<Stmt> orElse = List.of();
                if (endTag().equals("else")) {
                    orElse = body(Set.of("endfor"));
                    endTag();
                }
                return new For(line, target, iter, filter, body, orElse);
            }
            case "set": {
                Expr target = assignTarget(true);
                if (peek().isOp("=")) {
                    next();
                    Expr value = tuple(false);
                    blockEnd();
                    return new Node.Set(line, target, value);
                }
                if (!(target instanceof Name n)) throw error("a block set takes one name");
                List<Filter> filters = blockFilters();
                blockEnd();
                List<Stmt> body = body(Set.of("endset"));
                endTag();
                return new SetBlock(line, n.name(), filters, body);
            }
            case "macro": {
                String name = name();
                List<String> params = new ArrayList<>();
                List<Expr> defaults = new ArrayList<>();
                signature(params, defaults);
                blockEnd();
                List<Stmt> body = body(Set.of("endmacro"));
                endTag();
                return new Macro(line, name, params, defaults, body);
            }
            case "call": {
                List<String> params = new ArrayList<>();
                List<Expr> defaults = new ArrayList<>();
                if (peek().isOp("(")) signature(params, defaults);
                Expr call = expression(true);
                if (!(call instanceof Call c)) throw error("call blocks need a macro call");
                blockEnd();
                List<Stmt> body = body(Set.of("endcall"));
                endTag();
                return new CallBlock(line, c, params, defaults, body);
            }
            case "filter": {
                List<Filter> filters = new ArrayList<>();
                filters.add(filterCall(null, true));
                filters.addAll(blockFilters());
                blockEnd();
                List<Stmt> body = body(Set.of("endfilter"));
                endTag();
                return new FilterBlock(line, filters, body);
            }
            case "with": {
                List<Expr> targets = new ArrayList<>();
                List<Expr> values = new ArrayList<>();
                while (peek().kind() != Kind.BLOCK_END) {
                    if (!targets.isEmpty()) expectOp(",");
                    targets.add(assignTarget(false));
                    expectOp("=");
                    values.add(expression(true));
                }
                blockEnd();
                List<Stmt> body = body(Set.of("endwith"));
                endTag();
                return new With(line, targets, values, body);
            }
            case "generation": {
                // transformers' AssistantTracker tag: marks the assistant's text, renders its body as is.
                blockEnd();
                List<Stmt> body = body(Set.of("endgeneration"));
                endTag();
                return new If(line, List.of(new Const(true)), List.of(body), List.of());
            }
            case "break":
                blockEnd();
                return new Break(line);
            case "continue":
                blockEnd();
                return new Continue(line);
            case "include", "import", "from", "extends", "block":
                throw new ChatTemplateException("chat templates may not use '" + kw + "' (line " + line + "): they cannot load other files");
            default:
                throw error("unknown tag '" + kw + "'");
        }
    }

    private List<Filter> blockFilters() {
        List<Filter> filters = new ArrayList<>();
        while (peek().isOp("|")) {
            next();
            filters.add(filterCall(null, true));
        }
        return filters;
    }

    private void signature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (peek().isOp(")")) break;
            params.add(name());
            if (peek().isOp("=")) {
                next();
                defaults.add(expression(true));
            } else {
                if (!defaults.isEmpty()) throw error("a parameter without a default follows one with a default");
            }
        }
        expectOp(")");
    }

    /** A name, "a, b" (a tuple of names) or, for set, "ns.attr". */
    private Expr assignTarget(boolean allowAttr) {
        List<Expr> names = new ArrayList<>();
        boolean parens = peek().isOp("(");
        if (parens) next();
        while (true) {
            String n = name();
            if (allowAttr && peek().isOp(".")) {
                next();
                names.add(new Attr(new Name(n), name()));
            } else {
                names.add(new Name(n));
            }
            if (!peek().isOp(",")) break;
            next();
            if (peek().kind() != Kind.NAME) break;
        }
        if (parens) expectOp(")");
        return names.size() == 1 && !parens ? names.getFirst() : new TupleLit(names);
    }

    private Expr tuple(boolean withCond) {
        return tuple(withCond, false);
    }

    /** An expression, or "a, b" as an unparenthesized tuple (as jinja2's parse_tuple). */
    private Expr tuple(boolean withCond, boolean noCond) {
        Expr first = noCond ? or() : expression(true);
        if (!peek().isOp(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            next();
            if (endsTuple()) break;
            items.add(noCond ? or() : expression(true));
        }
        return new TupleLit(items);
    }

    private boolean endsTuple() {
        Token t = peek();
        return t.kind() == Kind.BLOCK_END || t.kind() == Kind.VAR_END || t.isOp(")") || t.isOp("]") || t.isOp("}")
                || t.isName("if") || t.isName("in") || t.kind() == Kind.EOF;
    }

    Expr expression(boolean withCond) {
        enter();
        try {
            Expr e = or();
            if (withCond) {
                while (peek().isName("if")) {
                    next();
                    Expr test = or();
                    Expr orElse = null;
                    if (peek().isName("else")) {
                        next();
                        orElse = expression(true);
                    }
                    e = new Cond(test, e, orElse);
                }
            }
            return e;
        } finally {
            depth--;
        }
    }

    private Expr or() {
        Expr l = and();
        while (peek().isName("or")) { next(); l = new Binary("or", l, and()); }
        return l;
    }

    private Expr and() {
        Expr l = not();
        while (peek().isName("and")) { next(); l = new Binary("and", l, not()); }
        return l;
    }

    private Expr not() {
        if (peek().isName("not")) {
            next();
            enter();
            try { return new Unary("not", not()); } finally { depth--; }
        }
        return compare();
    }

    private Expr compare() {
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            String op;
            if (t.kind() == Kind.OP && Set.of("==", "!=", "<", ">", "<=", ">=").contains(t.text())) {
                op = t.text();
                next();
            } else if (t.isName("in")) {
                op = "in";
                next();
            } else if (t.isName("not") && peek(1).isName("in")) {
                op = "not in";
                next();
                next();
            } else {
                break;
            }
            ops.add(op);
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest);
    }

    private Expr math1() {
        Expr l = concat();
        while (peek().isOp("+") || peek().isOp("-")) {
            String op = next().text();
            l = new Binary(op, l, concat());
        }
        return l;
    }

    private Expr concat() {
        Expr l = math2();
        while (peek().isOp("~")) { next(); l = new Binary("~", l, math2()); }
        return l;
    }

    private Expr math2() {
        Expr l = pow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            String op = next().text();
            l = new Binary(op, l, pow());
        }
        return l;
    }

    private Expr pow() {
        Expr l = unary(true);
        while (peek().isOp("**")) { next(); l = new Binary("**", l, unary(true)); }
        return l;
    }

    private Expr unary(boolean withFilter) {
        enter();
        try {
            Expr node;
            if (peek().isOp("-") || peek().isOp("+")) {
                String op = next().text();
                node = new Unary(op, unary(false));
            } else {
                node = primary();
            }
            node = postfix(node);
            if (withFilter) node = filterExpr(node);
            return node;
        } finally {
            depth--;
        }
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Const(true);
                    case "false", "False" -> new Const(false);
                    case "none", "None" -> new Const(null);
                    default -> new Name(t.text());
                };
            }
            case STRING -> {
                StringBuilder b = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) b.append(next().text());
                return new Const(b.toString());
            }
            case INT, FLOAT -> {
                return new Const(t.value());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) { next(); return new TupleLit(List.of()); }
                        Expr e = expression(true);
                        if (peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>(List.of(e));
                            while (peek().isOp(",")) {
                                next();
                                if (peek().isOp(")")) break;
                                items.add(expression(true));
                            }
                            e = new TupleLit(items);
                        }
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) expectOp(",");
                            if (peek().isOp("]")) break;
                            items.add(expression(true));
                        }
                        expectOp("]");
                        return new ListLit(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) expectOp(",");
                            if (peek().isOp("}")) break;
                            keys.add(expression(true));
                            expectOp(":");
                            values.add(expression(true));
                        }
                        expectOp("}");
                        return new DictLit(keys, values);
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        pos--;
        throw error("unexpected '" + describe(t) + "'");
    }

    private Expr postfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token a = next();
                if (a.kind() == Kind.NAME) node = new Attr(node, a.text());
                else if (a.kind() == Kind.INT) node = new Item(node, new Const(a.value()));
                else { pos--; throw error("expected an attribute name after '.'"); }
            } else if (t.isOp("[")) {
                next();
                node = subscript(node);
            } else if (t.isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Expr subscript(Expr obj) {
        Expr[] parts = new Expr[3];
        int part = 0;
        boolean slice = false;
        while (!peek().isOp("]")) {
            if (peek().isOp(":")) {
                next();
                slice = true;
                if (++part > 2) throw error("a slice has at most three parts");
                continue;
            }
            if (parts[part] != null) throw error("expected ':' or ']' in a subscript");
            parts[part] = expression(true);
            if (!slice && peek().isOp(",")) {
                List<Expr> items = new ArrayList<>(List.of(parts[0]));
                while (peek().isOp(",")) { next(); if (peek().isOp("]")) break; items.add(expression(true)); }
                parts[0] = new TupleLit(items);
            }
        }
        expectOp("]");
        if (slice) return new Slice(obj, parts[0], parts[1], parts[2]);
        if (parts[0] == null) throw error("empty subscript");
        return new Item(obj, parts[0]);
    }

    private Call call(Expr fn) {
        expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        while (!peek().isOp(")")) {
            if (!args.isEmpty() || !kwNames.isEmpty()) {
                expectOp(",");
                if (peek().isOp(")")) break;
            }
            if (peek().isOp("*") || peek().isOp("**")) throw error("*args and **kwargs in calls are not supported");
            if (peek().kind() == Kind.NAME && peek(1).isOp("=")) {
                kwNames.add(next().text());
                next();
                kwValues.add(expression(true));
            } else {
                if (!kwNames.isEmpty()) throw error("a positional argument follows a keyword argument");
                args.add(expression(true));
            }
        }
        expectOp(")");
        return new Call(fn, args, kwNames, kwValues);
    }

    private Expr filterExpr(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                node = filterCall(node, false);
            } else if (t.isName("is")) {
                next();
                node = test(node);
            } else if (t.isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Filter filterCall(Expr value, boolean block) {
        StringBuilder name = new StringBuilder(name());
        while (peek().isOp(".")) { next(); name.append('.').append(name()); }
        if (peek().isOp("(")) {
            Call c = call(null);
            return new Filter(value, name.toString(), c.args(), c.kwNames(), c.kwValues());
        }
        return new Filter(value, name.toString(), List.of(), List.of(), List.of());
    }

    private Expr test(Expr value) {
        boolean negated = false;
        if (peek().isName("not")) { next(); negated = true; }
        String name = name();
        List<Expr> args = List.of();
        Token t = peek();
        if (t.isOp("(")) {
            args = call(null).args();
        } else if (t.kind() == Kind.STRING || t.kind() == Kind.INT || t.kind() == Kind.FLOAT || t.isOp("[") || t.isOp("{")
                || (t.kind() == Kind.NAME && !Set.of("else", "or", "and", "is", "if", "in", "not").contains(t.text()))) {
            // jinja2 takes one bare argument: "x is divisibleby 3", "x is sameas false"
            args = List.of(postfix(primary()));
        }
        return new Test(value, name, args, negated);
    }
}
