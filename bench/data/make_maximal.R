# A synthetic crossed design shaped like Kronmueller & Barr (2007), the "maximal
# model" workload of bench/: 56 subjects x 32 items, three two-level factors
# (spkr, prec, load) within subjects and within items, each subject seeing each
# item once in one of the 8 cells (Latin-square rotation), 2 rows dropped (1,790
# rows). Run by hand: Rscript bench/data/make_maximal.R  (writes maximal.csv here)
set.seed(20071105)
nsubj <- 56; nitem <- 32
d <- expand.grid(item = seq_len(nitem), subj = seq_len(nsubj))
cell <- (d$item + d$subj) %% 8
d$spkr <- factor(ifelse(cell %% 2 == 0, "new", "old"), levels = c("new", "old"))
d$prec <- factor(ifelse((cell %/% 2) %% 2 == 0, "break", "maintain"), levels = c("break", "maintain"))
d$load <- factor(ifelse(cell %/% 4 == 0, "no", "yes"), levels = c("no", "yes"))
X <- model.matrix(~ spkr * prec * load, d)
beta <- c(2180, 70, -330, 80, -20, 30, -40, 25)
# random effects: correlated 8-vectors per subject and per item
cov8 <- function(sds, rho) { R <- matrix(rho, 8, 8); diag(R) <- 1; diag(sds) %*% R %*% diag(sds) }
Ss <- cov8(c(300, 60, 90, 40, 30, 30, 25, 20), 0.2)
Si <- cov8(c(350, 50, 400, 30, 25, 35, 20, 15), 0.1)
bs <- matrix(rnorm(nsubj * 8), nsubj) %*% chol(Ss)
bi <- matrix(rnorm(nitem * 8), nitem) %*% chol(Si)
d$rt <- round(drop(X %*% beta) + rowSums(X * bs[d$subj, ]) + rowSums(X * bi[d$item, ]) +
              rnorm(nrow(d), sd = 700), 1)
d$subj <- sprintf("S%02d", d$subj); d$item <- sprintf("I%02d", d$item)
d <- d[-c(100, 1000), c("subj", "item", "spkr", "prec", "load", "rt")]
out <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(), value = TRUE))), "maximal.csv")
write.csv(d, out, row.names = FALSE, quote = FALSE)
cat("wrote", out, nrow(d), "rows\n")
