"""Theory toolkit: the statements of MATH.md §5, §7 and §8, checked exactly.

Modules (import them directly; nothing is re-exported here):

* :mod:`.ssr` -- SSR / LSSR of two classes (our definitions), affine
  invariance and the XOR witness of one LN lowering the LSSR;
* :mod:`.hessian` -- the curvature measure ``H`` and the LN-G amplification bound;
* :mod:`.lipschitz` -- exact LN Jacobians, spectral norms, BatchNorm constants;
* :mod:`.isometry` -- Gram-matrix isometry and sample normalisation;
* :mod:`.rmsnorm_fold` -- folding LayerNorm into RMSNorm on computation graphs;
* :mod:`.one_ln` -- one-LN networks on a scalar and LN on two neurons.
"""
