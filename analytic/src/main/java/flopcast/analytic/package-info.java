/**
 * Formulas only: what training a pre-norm decoder-only transformer with AdamW costs, in
 * parameters, bytes and FLOPs, under two accountings.
 *
 * <h2>Symbols</h2>
 * Declared once, here; record fields spell them out in full.
 * <table>
 *   <caption>Symbols</caption>
 *   <tr><th>symbol</th><th>field</th><th>meaning</th></tr>
 *   <tr><td>B</td><td>{@code batchSize}</td><td>sequences per step</td></tr>
 *   <tr><td>T</td><td>{@code contextLength}</td><td>tokens per sequence</td></tr>
 *   <tr><td>L</td><td>{@code layers}</td><td>transformer blocks</td></tr>
 *   <tr><td>d</td><td>{@code dModel}</td><td>model width</td></tr>
 *   <tr><td>h</td><td>{@code heads}</td><td>attention heads</td></tr>
 *   <tr><td>d_k</td><td>{@code headDim()}</td><td>head width: d / h, or the architecture's own</td></tr>
 *   <tr><td>d_ff</td><td>{@code dFf}</td><td>FFN width</td></tr>
 *   <tr><td>V</td><td>{@code vocabSize}</td><td>vocabulary</td></tr>
 *   <tr><td>N</td><td>{@code tokens()}</td><td>B * T tokens per step</td></tr>
 * </table>
 *
 * <h2>Conventions</h2>
 * A multiply-add is 2 FLOPs; each +, -, *, /, max, exp, log, sqrt is 1. Model FLOPs are the
 * matmul FLOPs of forward plus backward (PaLM, arXiv 2204.02311, Appendix B). Counts are exact:
 * {@code long} with {@link java.lang.Math#multiplyExact(long, long)} for parameters, floats and
 * bytes, {@link java.math.BigInteger} for FLOPs (a frontier-scale step passes 2^63). Everything is
 * float32 unless a precision is named. Sources are listed once in {@code SOURCES.md}.
 */
package flopcast.analytic;
