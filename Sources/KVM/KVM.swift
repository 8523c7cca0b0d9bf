// KVM
