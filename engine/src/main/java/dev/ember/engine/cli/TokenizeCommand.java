package dev.ember.engine.cli;

import dev.ember.engine.runtime.LoadedModel;

import java.io.PrintStream;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** `ember tokenize`: the token ids of a text (BOS per the model's flags, special tokens parsed), on one line. */
final class TokenizeCommand implements Main.Command {
    @Override
    public String usage() { return "tokenize --model PATH --text TEXT [--no-special]"; }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args("tokenize", argv, 1, Set.of("no-special"));
        var model = a.path("model");
        String text = a.required("text");
        boolean special = !a.flag("no-special");
        a.rejectUnknown();
        try (LoadedModel lm = LoadedModel.open(model, 1)) {
            int[] ids = lm.tokenizer().encode(text, special, special);
            out.println(IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        return 0;
    }
}
