/*
 * Jacobian point arithmetic for y^2 = x^3 + b, instantiated by bn254.h for G1 (CURVE_F = fp_*) and
 * G2 (CURVE_F = fp2_*). Formulas from the Explicit-Formulas Database: dbl-2009-l, madd-2007-bl,
 * add-2007-bl. The point at infinity has z = 0; an affine point (0, 0) is infinity (how snarkjs
 * stores it in a zkey). Outputs may alias inputs.
 */
#define F CURVE_F
#define G CURVE_G
#define FT CURVE_FT

typedef struct { FT x, y; } G(aff);
typedef struct { FT x, y, z; } G(jac);

static inline void G(set_inf)(G(jac) *p) { F(one)(&p->x); F(one)(&p->y); F(zero)(&p->z); }
static inline int G(is_inf)(const G(jac) *p) { return F(is_zero)(&p->z); }
static inline int G(aff_is_inf)(const G(aff) *p) { return F(is_zero)(&p->x) && F(is_zero)(&p->y); }
static inline void G(from_aff)(G(jac) *r, const G(aff) *a) {
    if (G(aff_is_inf)(a)) { G(set_inf)(r); return; }
    r->x = a->x; r->y = a->y; F(one)(&r->z);
}

static inline void G(dbl)(G(jac) *r, const G(jac) *p) {
    if (G(is_inf)(p)) { *r = *p; return; }
    FT A, B, C, D, E, Fv, t, z3;
    F(sqr)(&A, &p->x);
    F(sqr)(&B, &p->y);
    F(sqr)(&C, &B);
    F(add)(&t, &p->x, &B);
    F(sqr)(&t, &t);
    F(sub)(&t, &t, &A);
    F(sub)(&t, &t, &C);
    F(dbl)(&D, &t);
    F(dbl)(&E, &A);
    F(add)(&E, &E, &A);
    F(sqr)(&Fv, &E);
    F(mul)(&z3, &p->y, &p->z);
    F(dbl)(&r->z, &z3);
    F(dbl)(&t, &D);
    F(sub)(&r->x, &Fv, &t);
    F(sub)(&t, &D, &r->x);
    F(mul)(&t, &E, &t);
    F(dbl)(&C, &C);
    F(dbl)(&C, &C);
    F(dbl)(&C, &C);
    F(sub)(&r->y, &t, &C);
}

/* r = p + q with q affine and not infinity */
static inline void G(madd)(G(jac) *r, const G(jac) *p, const G(aff) *q) {
    if (G(is_inf)(p)) { r->x = q->x; r->y = q->y; F(one)(&r->z); return; }
    FT Z1Z1, U2, S2, H, HH, I, J, rr, V, t;
    F(sqr)(&Z1Z1, &p->z);
    F(mul)(&U2, &q->x, &Z1Z1);
    F(mul)(&S2, &q->y, &p->z);
    F(mul)(&S2, &S2, &Z1Z1);
    F(sub)(&H, &U2, &p->x);
    F(sub)(&rr, &S2, &p->y);
    if (F(is_zero)(&H)) {
        if (F(is_zero)(&rr)) { G(dbl)(r, p); return; }
        G(set_inf)(r);
        return;
    }
    F(sqr)(&HH, &H);
    F(dbl)(&I, &HH);
    F(dbl)(&I, &I);
    F(mul)(&J, &H, &I);
    F(dbl)(&rr, &rr);
    F(mul)(&V, &p->x, &I);
    /* Z3 = (Z1 + H)^2 - Z1Z1 - HH, computed before p->z may be overwritten */
    FT z3;
    F(add)(&z3, &p->z, &H);
    F(sqr)(&z3, &z3);
    F(sub)(&z3, &z3, &Z1Z1);
    F(sub)(&z3, &z3, &HH);
    FT y1J;
    F(mul)(&y1J, &p->y, &J);
    F(dbl)(&y1J, &y1J);
    FT x3;
    F(sqr)(&x3, &rr);
    F(sub)(&x3, &x3, &J);
    F(dbl)(&t, &V);
    F(sub)(&x3, &x3, &t);
    F(sub)(&t, &V, &x3);
    F(mul)(&t, &rr, &t);
    F(sub)(&r->y, &t, &y1J);
    r->x = x3;
    r->z = z3;
}

static inline void G(add)(G(jac) *r, const G(jac) *p, const G(jac) *q) {
    if (G(is_inf)(p)) { *r = *q; return; }
    if (G(is_inf)(q)) { *r = *p; return; }
    FT Z1Z1, Z2Z2, U1, U2, S1, S2, H, I, J, rr, V, t;
    F(sqr)(&Z1Z1, &p->z);
    F(sqr)(&Z2Z2, &q->z);
    F(mul)(&U1, &p->x, &Z2Z2);
    F(mul)(&U2, &q->x, &Z1Z1);
    F(mul)(&S1, &p->y, &q->z);
    F(mul)(&S1, &S1, &Z2Z2);
    F(mul)(&S2, &q->y, &p->z);
    F(mul)(&S2, &S2, &Z1Z1);
    F(sub)(&H, &U2, &U1);
    F(sub)(&rr, &S2, &S1);
    if (F(is_zero)(&H)) {
        if (F(is_zero)(&rr)) { G(dbl)(r, p); return; }
        G(set_inf)(r);
        return;
    }
    F(dbl)(&I, &H);
    F(sqr)(&I, &I);
    F(mul)(&J, &H, &I);
    F(dbl)(&rr, &rr);
    F(mul)(&V, &U1, &I);
    FT z3;
    F(add)(&z3, &p->z, &q->z);
    F(sqr)(&z3, &z3);
    F(sub)(&z3, &z3, &Z1Z1);
    F(sub)(&z3, &z3, &Z2Z2);
    F(mul)(&z3, &z3, &H);
    FT x3;
    F(sqr)(&x3, &rr);
    F(sub)(&x3, &x3, &J);
    F(dbl)(&t, &V);
    F(sub)(&x3, &x3, &t);
    F(sub)(&t, &V, &x3);
    F(mul)(&t, &rr, &t);
    F(mul)(&S1, &S1, &J);
    F(dbl)(&S1, &S1);
    F(sub)(&r->y, &t, &S1);
    r->x = x3;
    r->z = z3;
}

static inline void G(neg_aff)(G(aff) *r, const G(aff) *a) { r->x = a->x; F(neg)(&r->y, &a->y); }
static inline void G(neg)(G(jac) *r, const G(jac) *a) { r->x = a->x; F(neg)(&r->y, &a->y); r->z = a->z; }

/* Affine form; returns 0 for the point at infinity. */
static inline int G(to_aff)(G(aff) *r, const G(jac) *p) {
    if (G(is_inf)(p)) { F(zero)(&r->x); F(zero)(&r->y); return 0; }
    FT zi, zi2, zi3;
    F(inv)(&zi, &p->z);
    F(sqr)(&zi2, &zi);
    F(mul)(&zi3, &zi2, &zi);
    F(mul)(&r->x, &p->x, &zi2);
    F(mul)(&r->y, &p->y, &zi3);
    return 1;
}

/* y^2 == x^3 + b, or infinity */
static inline int G(aff_on_curve)(const G(aff) *p, const FT *b) {
    if (G(aff_is_inf)(p)) return 1;
    FT l, rr;
    F(sqr)(&l, &p->y);
    F(sqr)(&rr, &p->x);
    F(mul)(&rr, &rr, &p->x);
    F(add)(&rr, &rr, b);
    return F(eq)(&l, &rr);
}

/* r = k * p, k an Fr element in normal (non-Montgomery) form; not constant time, used only for the
 * handful of blinding terms per proof. */
static inline void G(mul_scalar)(G(jac) *r, const G(jac) *p, const fr_t *k) {
    G(jac) acc, base = *p;
    G(set_inf)(&acc);
    for (int bit = 255; bit >= 0; bit--) {
        G(dbl)(&acc, &acc);
        if ((k->v[bit >> 6] >> (bit & 63)) & 1) G(add)(&acc, &acc, &base);
    }
    *r = acc;
}

#undef F
#undef G
#undef FT
