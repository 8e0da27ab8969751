import Ckpt
print("ckpt \(ckptVersion)")
