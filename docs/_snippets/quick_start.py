import numpy as np

from sklearn_gan_ad import GANAnomalyDetector

np.set_printoptions(precision=3, suppress=True)

# 500 normal rows from a correlated 2-D Gaussian
rng = np.random.RandomState(0)
X_train = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=500)

detector = GANAnomalyDetector(random_state=0).fit(X_train)

X_new = [[0.0, 0.0], [5.0, 5.0]]
print("predict:          ", detector.predict(X_new))  # +1 inlier, -1 outlier
print("score_samples:    ", detector.score_samples(X_new))  # higher = more normal
print("decision_function:", detector.decision_function(X_new))  # negative = outlier
print("offset_:          ", detector.offset_)  # -3.0 with contamination="auto"
