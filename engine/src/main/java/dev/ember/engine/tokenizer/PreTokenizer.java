package dev.ember.engine.tokenizer;

import java.util.List;

/** Splits text into the words BPE merges within, by running split stages in sequence. */
final class PreTokenizer {
    private final List<SplitStage> stages;

    PreTokenizer(List<SplitStage> stages) {
        this.stages = List.copyOf(stages);
    }

    /** Lengths in code points of consecutive words covering all of text. */
    IntList split(SplitText text) {
        IntList pieces = new IntList(8);
        if (text.length() == 0) return pieces;
        pieces.add(text.length());
        for (SplitStage stage : stages) {
            IntList next = new IntList(pieces.size() * 2 + 4);
            int start = 0;
            for (int i = 0; i < pieces.size(); i++) {
                int end = start + pieces.get(i);
                stage.split(text, start, end, next);
                start = end;
            }
            pieces = next;
        }
        return pieces;
    }
}
