package dev.ember.engine.chat;

import java.util.List;

/** The parsed template: statements, and the expressions inside them. */
sealed interface Node {
    /** Statements, each with the line it starts on for error messages. */
    sealed interface Stmt extends Node {
        int line();
    }

    record Text(int line, String text) implements Stmt {}
    record Print(int line, Expr value) implements Stmt {}
    record If(int line, List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> orElse) implements Stmt {}
    record For(int line, Expr target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> orElse) implements Stmt {}
    /** {@code set target = value}; target is a Name, a Tuple of Names or an Attr on a namespace. */
    record Set(int line, Expr target, Expr value) implements Stmt {}
    /** {@code set name %}body{% endset}, optionally piped through filters. */
    record SetBlock(int line, String name, List<Filter> filters, List<Stmt> body) implements Stmt {}
    record Macro(int line, String name, List<String> params, List<Expr> defaults, List<Stmt> body) implements Stmt {}
    record CallBlock(int line, Call call, List<String> params, List<Expr> defaults, List<Stmt> body) implements Stmt {}
    record FilterBlock(int line, List<Filter> filters, List<Stmt> body) implements Stmt {}
    record With(int line, List<Expr> targets, List<Expr> values, List<Stmt> body) implements Stmt {}
    record Break(int line) implements Stmt {}
    record Continue(int line) implements Stmt {}

    sealed interface Expr extends Node {}

    record Const(Object value) implements Expr {}
    record Name(String name) implements Expr {}
    record ListLit(List<Expr> items) implements Expr {}
    record TupleLit(List<Expr> items) implements Expr {}
    record DictLit(List<Expr> keys, List<Expr> values) implements Expr {}
    record Attr(Expr obj, String name) implements Expr {}
    record Item(Expr obj, Expr key) implements Expr {}
    /** obj[start:stop:step]; absent parts are null. */
    record Slice(Expr obj, Expr start, Expr stop, Expr step) implements Expr {}
    record Call(Expr fn, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}
    record Filter(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}
    record Test(Expr value, String name, List<Expr> args, boolean negated) implements Expr {}
    record Unary(String op, Expr operand) implements Expr {}
    record Binary(String op, Expr left, Expr right) implements Expr {}
    /** a op1 b op2 c …, as Python chains comparisons. */
    record Compare(Expr first, List<String> ops, List<Expr> rest) implements Expr {}
    record Cond(Expr test, Expr then, Expr orElse) implements Expr {}
}
