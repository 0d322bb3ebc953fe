/**
 * Per-layer model summaries of any DJL block in the layout of PyTorch's torchsummary, with
 * multiply-accumulate counts and receptive fields added: see {@link io.convzoo.zoo.summary.ModelSummary}.
 */
package io.convzoo.zoo.summary;
