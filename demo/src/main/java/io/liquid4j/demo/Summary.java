package io.liquid4j.demo;

import static io.liquid4j.demo.DemoResults.num;
import static io.liquid4j.demo.Report.pct;

import java.util.Locale;

/** The few lines `liquid demo` prints at the end: the headline numbers of the report. */
final class Summary {
    private Summary() {}

    static String of(DemoResults r) {
        var ev = r.eval;
        return String.format(Locale.ROOT, """
                scorer validation: %s of ground-truth renders
                text-to-image, one shape (seen pairs):     colour %s  shape %s  position %s  all %s
                text-to-image, one shape (held-out pairs): colour %s  shape %s  position %s  all %s
                captions, one shape (seen pairs):          colour %s  shape %s  position %s  all %s
                text perplexity: %.3f before the multimodal stage, %.3f after
                VQGAN reconstruction PSNR: %.2f dB
                targets: %s""",
                pct(num(r.scorer, "validation_rate")),
                pct(num(ev, "generation.single_seen.colour")), pct(num(ev, "generation.single_seen.kind")), pct(num(ev, "generation.single_seen.position")), pct(num(ev, "generation.single_seen.all")),
                pct(num(ev, "generation.single_heldout.colour")), pct(num(ev, "generation.single_heldout.kind")), pct(num(ev, "generation.single_heldout.position")), pct(num(ev, "generation.single_heldout.all")),
                pct(num(ev, "captions.single_seen.colour")), pct(num(ev, "captions.single_seen.kind")), pct(num(ev, "captions.single_seen.position")), pct(num(ev, "captions.single_seen.all")),
                num(ev, "perplexity_before"), num(ev, "perplexity_after"), num(ev, "reconstruction.psnr_db"),
                String.join("; ", Report.targets(ev)).replace("**", ""));
    }
}
