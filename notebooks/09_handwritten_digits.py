# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9 · Handwritten digits: real data on a scalar engine
#
# Everything so far trained on toy data in the plane. Can an engine where every number is its
# own `Value` learn to read handwriting? Here it does: scikit-learn's 1,797 handwritten digits
# (8 × 8 pixels, classes 0–9), an MLP with one hidden layer of 32 ReLUs and a softmax output,
# trained with Adam — and it gets about 97 % of the test images right.
#
# The slides this uses: the softmax output for several classes (**"Multiple Output Units:
# One-vs-Rest; Multi-class classification: Softmax"** of **"Neural Networks"**, Natasha
# Jaques), its gradient ŷ − e(t) (**"Gradients w.r.t. output units"** of **"Deep
# Learning"**), the parameter count (**"Feedforward Neural Network; Learning parameters"**,
# the same deck) and the cost of one pass (**"Computation cost"** of **"Basic Artificial
# Neural Networks"**, Lecture 2, Lan Xu, ShanghaiTech).
#
# 1. the data;
# 2. one image's graph, counted node by node: why a scalar engine can do this at all;
# 3. training through the tape (`fit(compiled=True)`), the recipe of `tinygrad-edu train digits`;
# 4. what it gets wrong: the misclassified images and the confusion matrix;
# 5. the engine and the tape, timed.
#
# The images come with scikit-learn (`pip install 'tinygrad_edu[data]'`), no download. Every
# run is seeded: the numbers are the same on every machine.

# %%
# %matplotlib inline
import time
from collections import Counter

from tinygrad_edu import data, fit, losses, optim, plots
from tinygrad_edu.graph import evaluation_order
from tinygrad_edu.nn import MLP
from tinygrad_edu.train import predict_labels, step

# %% [markdown]
# ## 1. The data
#
# `data.digits` gives each image as a list of 64 floats in [0, 1] (0 is blank paper, 1 full
# ink; row by row from the top left) and its digit. The split is seeded: 20 % of the images
# are held out as the test set and never trained on.

# %%
X_train, y_train = data.digits("train", seed=0)
X_test, y_test = data.digits("test", seed=0)
print(f"{len(X_train)} training and {len(X_test)} test images, {len(X_train[0])} pixels each")
print("images per digit in the training set:", dict(sorted(Counter(y_train).items())))
plots.image_grid(X_train[:20], [str(t) for t in y_train[:20]],
                 title="the first 20 training images and their labels")

# %% [markdown]
# ## 2. One image, counted
#
# The network is `MLP(64, [32, 10])`: 64 inputs (one per pixel), 32 ReLUs, 10 linear outputs
# (one score per digit), and the softmax cross-entropy of those scores as the loss. Its
# parameters, counted as the slide "Learning parameters" does, weights plus biases per layer:
# 64·32 + 32 for the hidden layer and 32·10 + 10 for the output.
#
# Now build the loss of **one** image with the engine and count what is in its graph
# (`graph.evaluation_order` lists every node below the loss, once): the leaves are the 64
# pixels and the parameters; every other node is one operation of the forward pass.

# %% tags=["slide-numbers"]
model = MLP(64, [32, 10], seed=0)
print(f"{model}: {model.num_parameters():,} parameters = 64·32 + 32 + 32·10 + 10")
assert model.num_parameters() == 64 * 32 + 32 + 32 * 10 + 10

loss = losses.cross_entropy([model(X_train[0])], [y_train[0]])
nodes = evaluation_order(loss)
operations = [node for node in nodes if node.parents]
leaves = [node for node in nodes if not node.parents]
parameters = set(model.parameters())
print(f"one image's loss graph: {len(nodes):,} nodes = {len(leaves):,} leaves "
      f"({sum(n in parameters for n in leaves):,} parameters, "
      f"{sum(n not in parameters for n in leaves)} pixels) + {len(operations):,} operations")
for op, count in Counter(node.op for node in operations).most_common():
    print(f"  {op:>8} {count:>6,}")
edges = Counter()    # backward: one "v̄ += upstream × local" per edge into a node
for node in operations:
    edges[node.op] += len(node.parents)
weights = len(model.weights())
print(f"backward at the products: {edges['×']:,} multiply-adds = {edges['×'] / weights:.0f} per "
      f"weight ({weights:,} weights); at the sums {edges['+']:,} (local gradient 1: adds only)")
assert edges["×"] == 2 * weights

# %% [markdown]
# About 4,800 operations for one image, and nearly all of them are the products $w \cdot a$
# (one per weight) and the sums that add them up: Lan Xu's slide "Computation cost", *one
# add-multiply per weight* forward and two backward (each product sends *upstream × local*
# to the weight and to its input). The ReLUs and the loss are a rounding error.
#
# That is why a scalar engine can do this at all. Per image, the graph has the size of the
# network — a few thousand nodes, not millions — so a minibatch of 32 is about 150,000 nodes
# and an epoch (45 minibatches) about 7 million operations forward. Python runs a node in a
# fraction of a microsecond to a few microseconds, so an epoch takes seconds, not hours.
# MNIST's 28 × 28 images would give each image a graph 12 times larger and 40 times more
# images: the same program, only slower.

# %% [markdown]
# ## 3. Training through the tape
#
# Each minibatch's graph has the same shape; only the pixels and labels change. So
# `fit(compiled=True)` records one minibatch's graph once with the tape
# (`tinygrad_edu.compile`) and replays it for every minibatch of that size with its data —
# the same losses and weights as the engine, bit for bit, without building 150,000 `Value`
# objects every step. This is the recipe of `tinygrad-edu train digits`: Adam (η = 0.02),
# minibatches of 32, 10 epochs, seed 0. The test images serve as the validation set
# (nothing is tuned on them).

# %%
model = MLP(64, [32, 10], seed=0)
started = time.perf_counter()
history = fit(model, X_train, y_train, loss=losses.cross_entropy,
              optimizer=optim.make("adam", model.parameters()), epochs=10, batch_size=32,
              val=(X_test, y_test), compiled=True, seed=0, progress=False)
tape_epoch = (time.perf_counter() - started) / history.epochs
print(f"through the tape: {tape_epoch:.2f} s per epoch")
plots.history(history, "MLP(64, [32, 10]) on the digits, Adam, minibatches of 32",
              held_out="test")

# %% tags=["slide-numbers"]
predicted = predict_labels(model, X_test)
right = sum(p == t for p, t in zip(predicted, y_test))
print(f"after {history.epochs} epochs: training accuracy {history.accuracy[-1]:.1%}, "
      f"test accuracy {right / len(y_test):.1%} ({right} of {len(y_test)} test images)")
assert right / len(y_test) == history.val_accuracy[-1] >= 0.95

# %% [markdown]
# ## 4. What it gets wrong
#
# The test images whose predicted digit is not the true one, each titled with both:

# %%
plots.misclassified(X_test, y_test, predicted)

# %% [markdown]
# Many of them are hard for a person too at 8 × 8 pixels. The **confusion matrix** counts,
# for each true digit (row), how often it was predicted as each digit (column). The diagonal
# holds the right answers; everything off it is a confusion, and which ones are frequent
# says what the network finds alike.

# %% tags=["slide-numbers"]
counts = plots.confusion_counts(y_test, predicted)
assert sum(map(sum, counts)) == len(y_test) and sum(counts[k][k] for k in range(10)) == right
confusions = sorted(((counts[t][p], t, p) for t in range(10) for p in range(10) if t != p),
                    reverse=True)
print("most frequent confusions:", ", ".join(f"{t} as {p} ({n}×)"
                                             for n, t, p in confusions[:3] if n))

# %%
plots.confusion_matrix(y_test, predicted, title=f"test accuracy {right / len(y_test):.1%}")

# %% [markdown]
# ## 5. The engine and two tapes, timed
#
# One minibatch step with the engine (`train.step`: build the 150,000-node graph, `backward`,
# Adam), against the tape's epoch measured above. Then the **fast tape**,
# `fit(compiled=True, exact=False)`: it finds the structure the scalar graph hides — a
# neuron's chain of `+` over `×` is a dot product, a layer of them a matrix product — and
# runs those as NumPy array operations. Sums may be added in another order, so its numbers
# agree with the engine's to about 1e-12 rather than bit for bit; `tinygrad-edu train digits`
# uses it. The times depend on the machine; the ratios are what to look at.

# %%
probe = MLP(64, [32, 10], seed=0)
adam = optim.make("adam", probe.parameters())
started = time.perf_counter()
for k in range(3):
    step(probe, X_train[32 * k:32 * (k + 1)], y_train[32 * k:32 * (k + 1)],
         losses.cross_entropy, adam)
engine_epoch = (time.perf_counter() - started) / 3 * -(-len(X_train) // 32)

fast_model = MLP(64, [32, 10], seed=0)
started = time.perf_counter()
fast_history = fit(fast_model, X_train, y_train, loss=losses.cross_entropy,
                   optimizer=optim.make("adam", fast_model.parameters()), epochs=10,
                   batch_size=32, val=(X_test, y_test), compiled=True, exact=False, seed=0,
                   progress=False)
fast_epoch = (time.perf_counter() - started) / fast_history.epochs
print(f"engine:    about {engine_epoch:.1f} s per epoch (3 minibatch steps, times 45)")
print(f"tape:      {tape_epoch:.2f} s per epoch, the engine's numbers bit for bit "
      f"({engine_epoch / tape_epoch:.0f}× faster)")
print(f"fast tape: {fast_epoch:.2f} s per epoch ({engine_epoch / fast_epoch:.0f}× faster), "
      f"test accuracy {fast_history.val_accuracy[-1]:.1%}")

# %% [markdown]
# (Both tapes' epochs include recording the graph — once for the minibatches of 32 and once
# for the last, shorter one — and measuring the test set.)
#
# The command line does the same in one line and writes the pictures above to `out/digits/`:
#
#     tinygrad-edu train digits
