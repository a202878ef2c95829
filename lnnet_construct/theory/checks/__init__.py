"""Checkers of the theorem registry (:mod:`lnnet_construct.theory.registry`), one module per family.

=================  =================================================================
module             theorem ids
=================  =================================================================
``circle``         ``ln-circle``
``lssr``           ``lssr-affine-invariance``, ``lssr-ln-breaks``
``construction``   ``thm-binary``, ``thm-multiclass``, ``vc-lower-bound``
``hessian``        ``lng-hessian``
``rmsnorm``        ``ln-rmsnorm-fold``
``lipschitz``      ``ln-lipschitz``
``one_ln``         ``ln2-sign``, ``ln-one-stationary``
``isometry``       ``gram-isometry``
=================  =================================================================

Each module defines ``THEOREMS``, a tuple of
:class:`~lnnet_construct.theory.registry.Theorem`; use the registry rather
than these modules.
"""
