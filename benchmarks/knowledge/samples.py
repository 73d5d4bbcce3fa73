"""Fictional catalogues for the answering evaluation: the company's data as plain values. The
PDF generator (`pdf.py`) lays them out; the evaluation reads those PDFs through the document
pipeline (`snapshot.py`) and checks what it extracted against these values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class SampleProduct:
    name: str
    code: str
    pack_size: str
    price: Decimal
    category: str
    available: bool = True


@dataclass(frozen=True)
class SampleCourse:
    title: str
    starts_on: date
    ends_on: date
    city: str
    venue: str
    fee: Decimal
    cme_credits: Decimal
    # None when the brochure does not say.
    seats: int | None


@dataclass(frozen=True)
class SampleFaq:
    question: str
    phrasings: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class SampleCatalogue:
    title: str
    company: str
    intro: str
    # The product table's columns, in the catalogue's order: keys of `headers`.
    columns: tuple[str, ...]
    headers: dict[str, str]
    price_prefix: str
    products_per_page: int
    products: tuple[SampleProduct, ...]
    courses: tuple[SampleCourse, ...]
    # (heading, text), two to a page after the products and the courses.
    policies: tuple[tuple[str, str], ...]
    # Entries the team has approved (the rest of the policies is only in the document).
    faqs: tuple[SampleFaq, ...]
    # The courses as a table with these headers (keys: title, dates, location, fee, credits,
    # seats); empty: each course as a block of "Label: value" lines.
    course_headers: dict[str, str] | None = None

    def product_pages(self) -> list[tuple[int, tuple[SampleProduct, ...]]]:
        size = self.products_per_page
        return [
            (2 + index // size, self.products[index : index + size])
            for index in range(0, len(self.products), size)
        ]

    @property
    def course_page(self) -> int:
        return self.product_pages()[-1][0] + 1

    def policy_pages(self) -> list[tuple[int, tuple[tuple[str, str], ...]]]:
        first = self.course_page + 1
        return [
            (first + index // 2, self.policies[index : index + 2])
            for index in range(0, len(self.policies), 2)
        ]

    def course_cell(self, course: SampleCourse, column: str) -> str:
        if column == "title":
            return course.title
        if column == "dates":
            return course_dates(course)
        if column == "location":
            return f"{course.venue}, {course.city}"
        if column == "fee":
            return f"{self.price_prefix or 'Rs. '}{price_text(course.fee)}"
        if column == "credits":
            return str(course.cme_credits)
        return str(course.seats)

    def cell(self, product: SampleProduct, column: str) -> str:
        if column == "price":
            return f"{self.price_prefix}{price_text(product.price)}"
        if column == "available":
            return "In stock" if product.available else "Out of stock"
        value: str = getattr(product, column)
        return value


def price_text(amount: Decimal) -> str:
    """Indian grouping without a currency sign, as the PDFs print it (fpdf2's core fonts have
    no ₹)."""
    whole, _, fraction = f"{amount:.2f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    grouped = ",".join([*groups, tail])
    return grouped if fraction == "00" else f"{grouped}.{fraction}"


def course_dates(course: SampleCourse) -> str:
    dates = f"{course.starts_on:%d %b %Y}"
    if course.ends_on != course.starts_on:
        dates += f" to {course.ends_on:%d %b %Y}"
    return dates


def _p(
    name: str, code: str, pack: str, price: str, category: str, available: bool = True
) -> SampleProduct:
    return SampleProduct(name, code, pack, Decimal(price), category, available)


SURGICARE = SampleCatalogue(
    title="SurgiCare Catalogue 2026",
    company="SurgiCare Medical Devices Pvt. Ltd., Pune",
    intro=(
        "SurgiCare Medical Devices Pvt. Ltd. supplies laparoscopic, wound closure and hernia "
        "products to hospitals and surgeons across India. All products are CE marked and "
        "manufactured in an ISO 13485 certified facility in Pune. For orders write to "
        "orders@surgicare.example or WhatsApp us."
    ),
    columns=("code", "name", "pack_size", "price", "available"),
    headers={
        "code": "Code",
        "name": "Product",
        "pack_size": "Pack",
        "price": "Price (Rs.)",
        "available": "Stock",
    },
    price_prefix="Rs. ",
    products_per_page=15,
    products=(
        _p("Disposable Trocar 5 mm", "LT-5100", "Box of 6", "2450", "Laparoscopy"),
        _p("Disposable Trocar 10 mm", "LT-5110", "Box of 6", "2850", "Laparoscopy"),
        _p("Disposable Trocar 12 mm", "LT-5120", "Box of 6", "3150", "Laparoscopy"),
        _p("Veress Needle 120 mm", "LT-5200", "Box of 10", "1890", "Laparoscopy"),
        _p("Maryland Dissector 5 mm", "LT-5310", "Single piece", "4200", "Laparoscopy"),
        _p("Atraumatic Grasper 5 mm", "LT-5320", "Single piece", "3950", "Laparoscopy"),
        _p("Specimen Retrieval Bag 200 ml", "LT-5400", "Box of 10", "3600", "Laparoscopy"),
        _p("Suction Irrigation Set", "LT-5500", "Box of 5", "5250", "Laparoscopy", False),
        _p("Harmonic Scalpel Shears 23 cm", "HS-2300", "Single piece", "18500", "Energy"),
        _p("Harmonic Scalpel Shears 36 cm", "HS-3600", "Single piece", "21750", "Energy"),
        _p("Electrosurgical Pencil", "ES-1000", "Box of 25", "6875", "Energy"),
        _p("Polypropylene Mesh 15 x 15 cm", "PM-1515", "Box of 5", "7200", "Hernia"),
        _p("Polypropylene Mesh 30 x 30 cm", "PM-3030", "Box of 3", "9600", "Hernia"),
        _p("Polypropylene Mesh 7.5 x 15 cm", "PM-0715", "Box of 5", "4800", "Hernia"),
        _p("Composite Ventral Mesh 20 x 25 cm", "PM-2025", "Single piece", "24500", "Hernia"),
        _p("Absorbable Tacker 30 tacks", "HT-3000", "Single piece", "26900", "Hernia", False),
        _p("Absorbable Suture Polyglactin 2-0", "SU-PG20", "Box of 12", "3240", "Sutures"),
        _p("Absorbable Suture Polyglactin 3-0", "SU-PG30", "Box of 12", "3180", "Sutures"),
        _p("Polypropylene Suture 1-0", "SU-PP10", "Box of 12", "2760", "Sutures"),
        _p("Silk Braided Suture 2-0", "SU-SK20", "Box of 12", "1150", "Sutures"),
        _p("Skin Stapler 35 W", "ST-3500", "Box of 6", "5940", "Staplers"),
        _p("Linear Cutter 60 mm", "ST-6000", "Single piece", "14800", "Staplers"),
        _p("Circular Stapler 28 mm", "ST-2800", "Single piece", "32500", "Staplers"),
        _p(
            "Titanium Ligating Clips Medium-Large",
            "CL-0300",
            "Box of 18 cartridges",
            "8100",
            "Clips",
        ),
        _p("Abdominal Drain 28 Fr", "DR-2800", "Box of 10", "1450", "Drains"),
        _p("Hemostatic Gauze 5 x 7.5 cm", "HG-0575", "Box of 10", "6300", "Hemostats"),
        _p("Surgical Blade No. 11", "BL-0011", "Box of 100", "950.50", "General"),
    ),
    courses=(
        SampleCourse(
            "Advanced Laparoscopic Suturing Workshop",
            date(2026, 9, 12),
            date(2026, 9, 13),
            "Pune",
            "Ruby Hall Skills Lab",
            Decimal("18000"),
            Decimal("12"),
            30,
        ),
        SampleCourse(
            "Hernia Repair Masterclass",
            date(2026, 10, 24),
            date(2026, 10, 24),
            "New Delhi",
            "Hotel Lalit Convention Hall",
            Decimal("9500"),
            Decimal("6"),
            60,
        ),
        SampleCourse(
            "Basic Surgical Skills Course",
            date(2026, 11, 7),
            date(2026, 11, 8),
            "Chennai",
            "Apollo Simulation Centre",
            Decimal("12500"),
            Decimal("10"),
            40,
        ),
        SampleCourse(
            "Endo-Stapling Hands-on Course",
            date(2027, 1, 16),
            date(2027, 1, 16),
            "Hyderabad",
            "KIMS Training Centre",
            Decimal("7500"),
            Decimal("4"),
            25,
        ),
    ),
    policies=(
        (
            "Delivery",
            "We deliver across India through our courier partners. Orders placed before 2 pm "
            "are dispatched the same working day. Metro cities (Mumbai, Delhi, Pune, "
            "Bengaluru, Chennai, Hyderabad, Kolkata) receive orders in 2-3 working days and "
            "other locations in 4-6 working days. Delivery is free on orders of Rs. 10,000 and "
            "above. Orders below Rs. 10,000 carry a flat delivery charge of Rs. 250 per order.",
        ),
        (
            "Payment",
            "We accept NEFT, RTGS, UPI and all major credit and debit cards. Cash on delivery "
            "is available for orders up to Rs. 25,000. Hospitals with a purchase order get 30 "
            "days credit after approval of their credit application.",
        ),
        (
            "GST and invoices",
            "All prices in this catalogue are exclusive of GST. GST at 12% is added on the "
            "invoice. A GST invoice is sent with every shipment; please share your GSTIN when "
            "ordering to claim input tax credit.",
        ),
        (
            "Returns",
            "Unopened products in their original packing can be returned within 7 days of "
            "delivery for a full refund. Damaged or wrong items must be reported within 48 "
            "hours of delivery with photographs and are replaced free of charge. Sterile "
            "products whose packing has been opened cannot be returned.",
        ),
        (
            "Warranty",
            "Reusable instruments carry a warranty of 2 years against manufacturing defects. "
            "Single-use disposables carry no warranty but are replaced if found defective "
            "before use. Warranty claims are handled by our service team within 10 working "
            "days.",
        ),
        (
            "CME course registration",
            "Course fees include course material, lunch and the CME certificate. Registration "
            "closes 7 days before a course starts. Cancellations made 15 days or more before "
            "the course are refunded in full; later cancellations are not refunded but the "
            "seat may be transferred to a colleague.",
        ),
    ),
    faqs=(
        SampleFaq(
            "Do you offer cash on delivery?",
            ("COD available?", "Can I pay cash when the order arrives?"),
            "Yes, cash on delivery is available for orders up to ₹25,000.",
        ),
        SampleFaq(
            "Are prices inclusive of GST?",
            ("Is GST included in the price?", "GST extra hai kya?"),
            "Catalogue prices are exclusive of GST; GST at 12% is added on the invoice.",
        ),
        SampleFaq(
            "How long does delivery take?",
            ("When will my order arrive?", "Delivery time kitna hai?"),
            "Metro cities receive orders in 2-3 working days and other locations in 4-6 "
            "working days. Orders placed before 2 pm are dispatched the same day.",
        ),
        SampleFaq(
            "Do you provide a GST invoice?",
            ("Will I get a tax invoice?",),
            "Yes, a GST invoice is sent with every shipment. Please share your GSTIN when "
            "ordering.",
        ),
    ),
)


# A second company with another layout (other column order and header words, the price as
# "INR", no stock column) and other products: a check that nothing was tuned to SurgiCare.
ORTHOLINE = SampleCatalogue(
    title="OrthoLine Price List 2026",
    company="OrthoLine Surgicals LLP, Ahmedabad",
    intro=(
        "OrthoLine Surgicals LLP manufactures orthopaedic implants, wound care and theatre "
        "consumables in Ahmedabad and supplies hospitals in all states of India."
    ),
    columns=("name", "pack_size", "price", "code"),
    headers={
        "name": "Item Description",
        "pack_size": "Packing",
        "price": "Rate",
        "code": "Cat. No.",
    },
    price_prefix="INR ",
    products_per_page=8,
    products=(
        _p("Cortical Screw 3.5 mm x 20 mm", "OL/CS-3520", "Pack of 10", "2150", "Implants"),
        _p("Cortical Screw 4.5 mm x 30 mm", "OL/CS-4530", "Pack of 10", "2480", "Implants"),
        _p("Locking Compression Plate 6 hole", "OL/LP-0006", "Single", "8900", "Implants"),
        _p("Bone Cement 40 g", "OL/BC-0040", "Pack of 1", "3350", "Implants"),
        _p("Kirschner Wire 1.6 mm", "OL/KW-0016", "Pack of 10", "640", "Implants"),
        _p("Negative Pressure Wound Kit Medium", "OL/NP-0200", "Pack of 5", "11200", "Wound care"),
        _p("Silver Alginate Dressing 10 x 10 cm", "OL/SD-1010", "Pack of 10", "3900", "Wound care"),
        _p("Surgical Drape 120 x 150 cm", "OL/DR-1215", "Pack of 20", "2600", "Theatre"),
        _p("Pneumatic Tourniquet Cuff 24 inch", "OL/TQ-0024", "Single", "4750", "Theatre"),
        _p("Plaster of Paris Bandage 15 cm", "OL/PB-0015", "Pack of 12", "780", "Theatre"),
        _p("Orthopaedic Cast Padding 10 cm", "OL/CP-0010", "Pack of 12", "540", "Theatre"),
        _p("Bone Curette Size 3", "OL/BU-0003", "Single", "1320", "Instruments"),
    ),
    courses=(
        SampleCourse(
            "Fracture Fixation Basics Course",
            date(2026, 8, 22),
            date(2026, 8, 23),
            "Ahmedabad",
            "GCS Medical College Auditorium",
            Decimal("8500"),
            Decimal("8"),
            50,
        ),
    ),
    policies=(
        (
            "Shipping",
            "Orders are shipped by road transport or courier within 2 working days. Shipping is "
            "free on orders above INR 15,000. Smaller orders carry a shipping charge of INR 300 "
            "per order.",
        ),
        (
            "Payment terms",
            "Payment in advance by bank transfer or UPI. Cash on delivery is not available.",
        ),
        (
            "Returns and replacement",
            "Implants can be returned unused within 15 days if the seal is intact. Items "
            "damaged in transit are replaced when reported within 24 hours.",
        ),
    ),
    faqs=(),
)


def twenty_page_catalogue() -> SampleCatalogue:
    """SurgiCare's catalogue grown to 20 pages: 15 pages of product rows (variants of its
    products with their own codes and prices), the courses and the policies."""
    per_page = SURGICARE.products_per_page
    policy_pages = -(-len(SURGICARE.policies) // 2)
    count = (20 - 2 - policy_pages) * per_page
    products = [
        replace(
            product,
            name=f"{product.name} Series {index // len(SURGICARE.products) + 1}",
            code=f"{product.code}-{index // len(SURGICARE.products) + 1}",
            price=product.price + index // len(SURGICARE.products),
        )
        for index, product in (
            (i, SURGICARE.products[i % len(SURGICARE.products)]) for i in range(count)
        )
    ]
    return replace(SURGICARE, title="SurgiCare Full Catalogue 2026", products=tuple(products))


# A third company, written apart from development and run once: gynaecology and orthopaedic
# products, another header wording, pack sizes as bare counts, and the courses as a table.
GYNOCARE = SampleCatalogue(
    title="Matrika Surgicals Product Guide 2027",
    company="Matrika Surgicals Pvt. Ltd., Kolkata",
    intro=(
        "Matrika Surgicals Pvt. Ltd. makes and distributes gynaecology instruments, obstetric "
        "disposables and orthopaedic implants for hospitals and nursing homes in eastern and "
        "north-eastern India."
    ),
    columns=("name", "code", "pack_size", "price"),
    headers={
        "name": "Description",
        "code": "Ref. No.",
        "pack_size": "Units/Box",
        "price": "Rate (Rs.)",
    },
    price_prefix="",
    products_per_page=12,
    products=(
        _p("Intrauterine Manipulator Reusable", "GY-1101", "1", "14500", "Gynaecology"),
        _p("Uterine Curette Set Sharp", "GY-1204", "1", "3800", "Gynaecology"),
        _p("Hegar Cervical Dilator Set 8 pc", "GY-1310", "1", "6250", "Gynaecology"),
        _p("Disposable Vaginal Speculum Medium", "GY-2050", "50", "1750", "Gynaecology"),
        _p("Sims Speculum Double Ended", "GY-2104", "1", "980", "Gynaecology"),
        _p("Endometrial Biopsy Cannula 3 mm", "GY-3003", "25", "4375", "Gynaecology"),
        _p("Vacuum Delivery Cup Silicone 60 mm", "GY-4060", "5", "5400", "Obstetrics"),
        _p("Umbilical Cord Clamp", "GY-4500", "100", "1200", "Obstetrics"),
        _p("Karman Cannula 6 mm", "GY-5006", "20", "1600", "Gynaecology"),
        _p("Cancellous Screw 6.5 mm x 50 mm", "OR-6550", "10", "3150", "Orthopaedics"),
        _p("Dynamic Hip Screw Plate 4 hole", "OR-7104", "1", "7800", "Orthopaedics"),
        _p("Interlocking Tibial Nail 9 mm x 330 mm", "OR-8933", "1", "11250", "Orthopaedics"),
        _p("Kirschner Wire 2.0 mm", "OR-9020", "10", "720", "Orthopaedics"),
        _p("Arm Sling Pouch Large", "OR-9505", "10", "1450", "Orthopaedics"),
        _p("Soft Cervical Collar Medium", "OR-9610", "5", "1325.50", "Orthopaedics"),
    ),
    courses=(
        SampleCourse(
            "Laparoscopic Hysterectomy Workshop",
            date(2027, 2, 14),
            date(2027, 2, 15),
            "Kolkata",
            "AMRI Skills Centre",
            Decimal("15000"),
            Decimal("10"),
            None,
        ),
        SampleCourse(
            "Obstetric Emergencies Drill",
            date(2027, 3, 6),
            date(2027, 3, 6),
            "Bhubaneswar",
            "KIMS Auditorium",
            Decimal("4500"),
            Decimal("4"),
            None,
        ),
        SampleCourse(
            "Trauma Fixation Update",
            date(2027, 3, 20),
            date(2027, 3, 21),
            "Guwahati",
            "GMCH Lecture Hall",
            Decimal("7000"),
            Decimal("8"),
            None,
        ),
    ),
    policies=(
        (
            "Dispatch and delivery",
            "Orders are dispatched within 3 working days from our Kolkata warehouse. Delivery "
            "to the North-East states takes 5-7 working days. Freight is free for orders of "
            "Rs. 20,000 or more; below that a freight charge of Rs. 400 is added to the bill.",
        ),
        (
            "Payment",
            "Payment by NEFT or UPI before dispatch. Government hospitals may pay within 45 "
            "days of delivery against a purchase order. We do not accept cheques.",
        ),
        (
            "Returns",
            "Goods once sold are not taken back except for manufacturing defects reported "
            "within 10 days of receipt. Implants are exchanged only in sealed packing.",
        ),
        (
            "Warranty",
            "Reusable gynaecology instruments carry a 1 year warranty against manufacturing "
            "defects. Implants carry no warranty once their packing is opened.",
        ),
    ),
    faqs=(
        SampleFaq(
            "Do you give a discount on bulk orders?",
            ("Bulk discount available?",),
            "Yes, a 5% discount applies on orders of Rs. 1,00,000 or more.",
        ),
    ),
    course_headers={
        "title": "Programme",
        "dates": "Date",
        "location": "Location",
        "fee": "Registration",
        "credits": "CME Points",
    },
)
