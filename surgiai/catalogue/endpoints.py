from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile, status

from surgiai.auth.dependencies import CurrentUser, KnowledgeManager
from surgiai.catalogue.importing import MAX_IMPORT_BYTES, check_size, too_large
from surgiai.catalogue.models import CourseStatus
from surgiai.catalogue.schemas import (
    CourseCreate,
    CoursePage,
    CourseRead,
    CourseUpdate,
    ImportReport,
    ProductCreate,
    ProductPage,
    ProductRead,
    ProductUpdate,
)
from surgiai.catalogue.service import catalogue_service
from surgiai.dependencies import DbSession, upload_route
from surgiai.kit.schemas import MAX_ID

products_router = APIRouter(
    prefix="/api/v1/products",
    tags=["catalogue"],
    route_class=upload_route(lambda _: MAX_IMPORT_BYTES, too_large),
)
courses_router = APIRouter(prefix="/api/v1/courses", tags=["catalogue"])
# Those who manage the workspace's settings manage what SurgiAI answers from.

ProductId = Annotated[int, Path(ge=1, le=MAX_ID)]
CourseId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the last page")]


# --- Products ----------------------------------------------------------------------------------


@products_router.get("", response_model=ProductPage)
def list_products(
    _: CurrentUser,
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of the name, code or category")
    ] = None,
    available: Annotated[
        bool | None, Query(description="Only products offered (true) or retired (false)")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ProductPage:
    """By name; money as decimal strings."""
    return catalogue_service.product_page(
        session, limit=limit, cursor=cursor, q=q, available=available
    )


@products_router.post("", response_model=ProductRead, status_code=status.HTTP_201_CREATED)
def create_product(body: ProductCreate, user: KnowledgeManager, session: DbSession) -> ProductRead:
    """409 when another product has the code."""
    return catalogue_service.product_read(
        session, catalogue_service.create_product(session, user, body)
    )


@products_router.post("/import", response_model=ImportReport)
async def import_products(
    user: KnowledgeManager,
    session: DbSession,
    file: Annotated[UploadFile, File(description="A CSV or XLSX file, at most 5 MB")],
) -> ImportReport:
    """Add and update products from a CSV (UTF-8, UTF-16 or Windows-1252) or XLSX file whose
    header names the columns (Product, Code, Pack Size, Price… in any order and wording).
    Valid rows are kept; each rejected row is reported with its row number and reason. An
    empty cell changes nothing; importing the same file again changes nothing. 413 over 5 MB,
    415 for a file that is neither CSV nor XLSX, 422 for one with no product header."""
    if file.size is not None:
        check_size(file.size)
    data = await file.read(MAX_IMPORT_BYTES + 1)
    check_size(len(data))
    return catalogue_service.import_products(session, user, filename=file.filename, data=data)


@products_router.get("/{product_id}", response_model=ProductRead)
def get_product(product_id: ProductId, _: CurrentUser, session: DbSession) -> ProductRead:
    return catalogue_service.product_read(
        session, catalogue_service.get_product(session, product_id)
    )


@products_router.patch("/{product_id}", response_model=ProductRead)
def update_product(
    product_id: ProductId, body: ProductUpdate, user: KnowledgeManager, session: DbSession
) -> ProductRead:
    """Change the fields sent. Each changed field joins `edited_fields`: a later extraction from
    a document leaves it as the admin set it."""
    return catalogue_service.product_read(
        session, catalogue_service.update_product(session, user, product_id, body)
    )


@products_router.delete("/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_product(product_id: ProductId, user: KnowledgeManager, session: DbSession) -> None:
    catalogue_service.delete_product(session, user, product_id)


# --- Courses -----------------------------------------------------------------------------------


@courses_router.get("", response_model=CoursePage)
def list_courses(
    _: CurrentUser,
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of the title, city or venue")
    ] = None,
    course_status: Annotated[
        Literal["extracted", "confirmed", "cancelled"] | None, Query(alias="status")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CoursePage:
    """By start date, undated courses last."""
    return catalogue_service.course_page(
        session,
        limit=limit,
        cursor=cursor,
        q=q,
        status=CourseStatus(course_status) if course_status else None,
    )


@courses_router.post("", response_model=CourseRead, status_code=status.HTTP_201_CREATED)
def create_course(body: CourseCreate, user: KnowledgeManager, session: DbSession) -> CourseRead:
    return catalogue_service.course_read(
        session, catalogue_service.create_course(session, user, body)
    )


@courses_router.get("/{course_id}", response_model=CourseRead)
def get_course(course_id: CourseId, _: CurrentUser, session: DbSession) -> CourseRead:
    return catalogue_service.course_read(session, catalogue_service.get_course(session, course_id))


@courses_router.patch("/{course_id}", response_model=CourseRead)
def update_course(
    course_id: CourseId, body: CourseUpdate, user: KnowledgeManager, session: DbSession
) -> CourseRead:
    """Change the fields sent; `{"status": "confirmed"}` confirms a course read from a
    document, so that SurgiAI offers it to doctors."""
    return catalogue_service.course_read(
        session, catalogue_service.update_course(session, user, course_id, body)
    )


@courses_router.delete("/{course_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_course(course_id: CourseId, user: KnowledgeManager, session: DbSession) -> None:
    catalogue_service.delete_course(session, user, course_id)
