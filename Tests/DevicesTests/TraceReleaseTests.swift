import Testing
import TraceFormat

@testable import Devices

struct TraceReleaseTests {
    func metadata(_ fields: [(String, JSONValue)]) -> TraceMetadata { TraceMetadata(fields: fields) }

    @Test func explicitProfileWins() {
        let md = metadata([("profile", .string("v30.0"))])
        let r = TraceRelease.resolve(metadata: md, explicit: Release(tag: "v24.0")!)
        #expect(r.release.tag == "v24.0")
        #expect(r.source == .flag)
    }

    @Test func theTracesProfileFieldComesNext() {
        let r = TraceRelease.resolve(metadata: metadata([("profile", .string("v30.0"))]), explicit: nil)
        #expect(r.release.tag == "v30.0")
        #expect(r.source == .profileField)
    }

    @Test func aRecordedCloudHypervisorsVersionNext() {
        let md = metadata([("vmm_kind", .string("cloud-hypervisor")), ("vmm_version", .string("cloud-hypervisor v41.0-dirty"))])
        let r = TraceRelease.resolve(metadata: md, explicit: nil)
        #expect(r.release.tag == "v41.0")
        #expect(r.source == .vmmVersion)
        // A QEMU version names no cloud-hypervisor release.
        let qemu = metadata([("vmm_kind", .string("qemu")), ("vmm_version", .string("QEMU emulator version 7.2.15"))])
        #expect(TraceRelease.resolve(metadata: qemu, explicit: nil).source == .latest)
    }

    @Test func latestWhenTheTraceSaysNothing() {
        let r = TraceRelease.resolve(metadata: metadata([("profile", .string("v99.9"))]), explicit: nil)
        #expect(r.release == .latest)
        #expect(r.source == .latest)
    }

    @Test(arguments: [
        ("cloud-hypervisor v53.0", "v53.0"), ("cloud-hypervisor v0.14.1", "v0.14.1"), ("cloud-hypervisor v28.4-3-gdeadbeef", "v28.4"),
        ("cloud-hypervisor v41.0.1", "v41.0"), ("v20.2", "v20.2"),
    ])
    func versionBanners(text: String, tag: String) {
        #expect(Release.fromVersionText(text)?.tag == tag)
    }

    @Test func bannersWithoutAReleaseGiveNone() {
        #expect(Release.fromVersionText("cloud-hypervisor") == nil)
        #expect(Release.fromVersionText("") == nil)
        #expect(Release.fromVersionText("version 1.2") == nil)
    }
}
