// A tour of the tape (docs/tape.md): a two-layer network learns XOR, the smallest problem that
// needs a hidden layer, by reverse-mode autodiff and plain gradient descent. Every op appends a
// node; tape.backward() walks the nodes newest first and adds each one's gradient into its
// inputs (the backward functions sit beside their forwards in include/scae/ad/ops.hpp).
#include <scae/ad/ops.hpp>
#include <scae/core/random.hpp>

#include <cstdio>

using namespace scae;
using M = Matrix<double>;

int main() {
    const M x = (M(4, 2) << 0, 0, 0, 1, 1, 0, 1, 1).finished(); // the four inputs, one per row
    const M y = (M(4, 1) << 0, 1, 1, 0).finished();             // their XOR
    Rng rng(7);
    const auto random = [&](Index rows, Index cols) { return M(M::NullaryExpr(rows, cols, [&] { return rng.normal(); })); };
    ad::Param<double> w1{random(2, 8), {}}, b1{M::Zero(1, 8), {}}; // trainable matrices
    ad::Param<double> w2{random(8, 1), {}}, b2{M::Zero(1, 1), {}};

    ad::Tape<double> tape;
    double loss = 1;
    M guessed;
    for (int step = 0; step < 3000; ++step) {
        tape.clear(); // forget the nodes, keep their memory for the next pass
        const auto hidden = ad::tanh(ad::add_bias(ad::matmul(tape.input(x), tape.param(w1)), tape.param(b1)));
        const auto guess = ad::sigmoid(ad::add_bias(ad::matmul(hidden, tape.param(w2)), tape.param(b2)));
        const auto error = ad::mean(ad::square(ad::sub(guess, tape.input(y))));
        loss = error.value()(0, 0);
        guessed = guess.value();
        tape.backward(error); // d error / d every parameter, added into Param::grad
        for (ad::Param<double>* p : {&w1, &b1, &w2, &b2}) {
            p->value -= 2.0 * p->grad; // one step downhill
            p->grad.setZero();
        }
        if (step % 1000 == 0) std::printf("step %4d  mean squared error %.4f\n", step, loss);
    }
    for (Index i = 0; i < 4; ++i) std::printf("%g xor %g -> %.3f\n", x(i, 0), x(i, 1), guessed(i, 0));
    std::printf("final mean squared error %.4f\n", loss);
    return loss < 0.01 ? 0 : 1;
}
