#pragma once
/// @file pieces.hpp
/// @brief Elementwise passes a vector at a time: an update that reads and writes several
/// arrays (Adam's weights, gradients and moments) walks them in pieces of one SIMD vector (16
/// floats with AVX-512, 8 with AVX2), so that its formula, written once as Eigen array
/// expressions, is one pass with its temporaries in registers rather than one pass over memory
/// per expression. (Adam's step was 17% faster so, in a pass bound by memory.)

#include "scae/core/types.hpp"

#include <type_traits>

namespace scae {

/// Values of T in one SIMD vector of the build (1 without vectorisation).
template <class T>
constexpr int packet_size = Eigen::internal::packet_traits<T>::size;

/// The array type of a piece of `N` values: for N a std::integral_constant (a whole vector),
/// a fixed-size array, so that every expression over it is one packet operation; for N an
/// Index (a row's last, shorter piece), an array of at most one vector sized at run time.
template <class T, class N>
struct PieceOf {
    using type = Eigen::Array<T, int(N::value), 1>; ///< a whole vector
};
/// The last, shorter piece of a row.
template <class T>
struct PieceOf<T, Index> {
    using type = Eigen::Array<T, Eigen::Dynamic, 1, Eigen::ColMajor, packet_size<T>, 1>; ///< up to one vector
};
/// The array type of a piece; `N` is what for_each_piece() passes as the piece's length.
template <class T, class N>
using Piece = typename PieceOf<T, N>::type;

/// Calls `body(first, n)` for the pieces [first, first + n) of [0, length): whole vectors with
/// n a std::integral_constant, then the rest (if any) with n an Index. A body declares its
/// arrays as `Piece<T, decltype(n)>` and maps memory with `Eigen::Map<Piece<...>>(p, n)`.
/// Every value of a whole piece goes through Eigen's packet functions (its exp, log and sqrt);
/// those of the last piece through the scalar ones, as in any Eigen expression.
/// @param length  values to walk.
/// @param body    called with (Index first, n).
template <class T, class Body>
void for_each_piece(Index length, Body&& body) {
    constexpr int p = packet_size<T>;
    Index first = 0;
    for (; first + p <= length; first += p) body(first, std::integral_constant<int, p>{});
    if (first < length) body(first, length - first);
}

} // namespace scae
