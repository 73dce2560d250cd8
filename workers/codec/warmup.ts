/**
 * A 32×32 12-bit HTJ2K codestream: a disc on a ramp, encoded losslessly by this codec's own encoder
 * with its defaults (5 decomposition levels). Decoding it when a worker starts makes V8 compile the
 * decoder's WASM functions (compiled lazily, on first call: 15-30 ms of the first real frame's
 * decode in traces) before a frame waits for them, and checks the codec and the CRC-32 in this
 * browser against a known answer.
 */
export const WARMUP_CODESTREAM =
  '/0//UQApQAAAAAAgAAAAIAAAAAAAAAAAAAAAIAAAACAAAAAAAAAAAAABCwEB/1AACAACAAAABv9SAAwAAgABAAUEBEAB/1wAEyBocHBwcHBwcHBwcHBwaGho/2QAFwABT3BlbkpQSCBWZXIgMC4zMS4wLv+QAAoAAAAAA2kAAf+TwAJgQfwDB3QAwAE0ABNAASiM+AMHdABu+AMHdABCAwd0AMABVQAFTAAVQM/j+Lp6/gFGtAC9V0/hPAFCtABvyO2xTtcBgbQAwAFuwAFvQAFugMoE/CMEM6JPV0vX+VW5wLUovHIku/QlykYwE5cAzE48LPw1qwoWvXJUy/qadqVTBGaV/gDJSJBABrgAlvX/Qr0r+JvabUOQ1vzevb/XkOX5ANCXGMC6mADAAXq0ABerQAF6mLpgCMgaj3NBkhZiABp+9UBTW9GlICVCWstd5we40YgN0DJCUfIaAAUDaBoklcv+cCSHAZLVgdGhOKEHCjtbSYvpGCDgADFwCoIQxpHigvQYHkCEJ9IBeoBfcVCARthigwcOKKajAI+h0lTliavAgAgJWAoKWPVkKHd8CqyTSMEC0VUByWMLFSx5SXWvAvndsEVHBVTDsAI6/gYaIEXVpKkkpEAKxEAhwYTH0wHqBu4ChNx6iNrAYeoG9Jirq/8jiBkjUFJAd2KMJeoG9uCjAWYXU2ZEBCThwAxWEvS1L3w2UJ+1AbL6EMpOXhmwCFO4UXV0RBP2I9AMB+IYACfTAcAC+noAF9IwAL20dOPtRqcCkLANmPJ+s82DLG3DWzk23HDAljemTnHNe2yTPPG3oXsYYMMRBuB+m20Ez7zZ/0aD7ephXA/drPt5AAD4RvwXG0UcHPZ9dK2PsBsAAAhjtA1uuHUDJxeK2EYl3XTDqZsuXQS24fkwCkcIdgQKWGOIhE34Qj8jxBuriv5eQYOPF457q2rVvbxeFzFBN+DcjlDKBa7KMCmX5APbmLAb1l+/Gdl2QO7b2IbyO/zdxmUJt20OcOFrHqCItGto2wZLtw3ee4bBw8vDNCZtv+HT+eF653budINTV7hwpIPKgXAO96CbN5x46yYbA0K/m258/0CC12k98ds0uPv81gAQJlg/TzbzRTE5+KMEMCMek1egbMoLEELPqwBTNQ/fRk9jaOIRlKAH5lKBzLEDc4N3794ffJh7bnwHn9vcuR98MPYPY0s799z+vQc/ePD223//ff9//e+9V+HF+Vj8/1727m1t5s477w8P4o7b3b384DwABIL3SCf70fkDfO30ogF5LjxbICwc8EQ/PzszIQOTo4pALXZCgMy8Av/Z';

/** CRC-32 of the codestream's decoded pixels (little-endian 16-bit samples) */
export const WARMUP_CRC32 = 2212311912;
